"""Pages: a resident's own data (/account/my-data/) and staff's export for a person at their written
request (/privacy/person/<id>/export/).  Thin: the services decide and log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from gongzhi.core.errors import DomainError
from gongzhi.org import permissions
from gongzhi.org.models import Person

from . import export, perms, retention, services


def _download(data: dict, name: str) -> HttpResponse:
    response = HttpResponse(services.dumps(data), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localdate():%Y%m%d}.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def my_data(request):
    """What the platform holds about me, counted, with the download and the retention periods."""
    person = getattr(request.user, "person", None)
    data = export.collect(user=request.user, person=person)  # counted for the page only, not exported
    counts = {
        "requests": len(data["requests"]),
        "statements": len(data["consultation"]["statements"]),
        "statement_votes": len(data["consultation"]["statement_votes"]),
        "formal_votes": len(data["consultation"]["formal_votes"]),
        "service_records": len((data["volunteer"] or {}).get("service_records") or []),
        "notifications": len(data["incidents"]["notifications"]),
    }
    return render(request, "privacy/my_data.html", {"person": person, "counts": counts, "periods": retention.table()})


@login_required
@require_GET
def my_data_download(request):
    data = services.export_own_data(request.user, request=request, via="page")
    return _download(data, "my-data")


@login_required
@require_http_methods(["GET", "POST"])
def person_export(request, pk):
    person = get_object_or_404(Person.objects.select_related("region"), pk=pk)
    if not permissions.allowed(request.user, permissions.VIEW, person):
        raise Http404("人员不存在或不在您的管辖范围内")
    permissions.require(request.user, perms.EXPORT_PERSON, person)  # the 403 page names the roles that may
    error = None
    reference = ""
    if request.method == "POST":
        reference = request.POST.get("reference", "")
        try:
            data = services.export_person_data(
                request.user, person.pk, reference=reference, request=request, via="page"
            )
        except DomainError as exc:
            if exc.field != "reference":
                raise
            error = exc.message
        else:
            return _download(data, f"person-{person.pk}")
    return render(
        request,
        "privacy/person_export.html",
        {"person": person, "error": error, "reference": reference},
        status=400 if error else 200,
    )
