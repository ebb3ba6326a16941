"""Pages: the public data catalogue (/data/), each dataset's download and its metadata with the ledger
proof, and the spreadsheet import (/data/import/). Thin: the datasets and services decide."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from gongzhi.core.errors import DomainError
from gongzhi.org import permissions as perm

from . import catalogue as cat
from . import imports, services
from .models import ImportRun, Snapshot


@require_http_methods(["GET", "POST"])
def catalogue(request: HttpRequest) -> HttpResponse:
    """Every public dataset with its licence, update time, schema, digest and the ledger checkpoint it
    was taken at. A district administrator may publish the changed datasets now (POST)."""
    may_publish = perm.allowed(request.user, services.PUBLISH)
    if request.method == "POST":
        if not may_publish:
            perm.require(request.user, services.PUBLISH)
        done = services.publish_all(request.user)
        messages.success(
            request, _("已发布%(new)d个有变化的数据集（共%(n)d个）") % {"new": sum(p.new for p in done), "n": len(done)}
        )
        return redirect("opendata:catalogue")
    rows = cat.entries(request)
    return render(request, "opendata/catalogue.html", {"rows": rows, "may_publish": may_publish})


def _snapshot(slug: str) -> Snapshot:
    snap = services.latest(slug)
    if snap is None:
        raise Http404(_("数据集“%(slug)s”尚未发布") % {"slug": slug})
    return snap


@require_GET
def download(request: HttpRequest, slug: str) -> HttpResponse:
    snap = _snapshot(slug)
    response = HttpResponse(bytes(snap.content), content_type=snap.content_type)
    response["Content-Disposition"] = f'attachment; filename="{snap.filename}"'
    response["X-Content-SHA256"] = snap.sha256
    if snap.checkpoint_size is not None:
        response["X-Ledger-Checkpoint-Size"] = str(snap.checkpoint_size)
    response["Link"] = f'<{reverse("opendata:meta", args=[slug])}>; rel="describedby"'
    return response


@require_GET
def meta(request: HttpRequest, slug: str) -> JsonResponse:
    """The snapshot's metadata: digest, the signed checkpoint it was taken at, and the ledger entry
    holding its digest with the inclusion proof's check (``docs/opendata.md`` says how to verify)."""
    data = cat.meta(_snapshot(slug), request)
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})


@require_GET
def figures_schema(request: HttpRequest) -> JsonResponse:
    """The columns of ``figures.csv`` and the definition of every public figure."""
    return JsonResponse(cat.figures_schema(), json_dumps_params={"ensure_ascii": False, "indent": 1})


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("导入类型"), choices=ImportRun.Kind.choices)
    file = forms.FileField(label=gettext_lazy("电子表格（xlsx）"))
    dry_run = forms.BooleanField(label=gettext_lazy("试运行（只检查，不导入）"), required=False, initial=True)


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    perm.require(request.user, services.IMPORT)
    run = None
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            run = services.run_import(
                request.user, form.cleaned_data["kind"], f.name, f.read(), dry_run=form.cleaned_data["dry_run"]
            )
            if run.applied:
                messages.success(request, _("已导入%(n)d行") % {"n": run.accepted})
        except services.ImportRefused as exc:
            run = exc.run
            form.add_error("file", exc.message)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    labels = {kind: {key: aliases[0] for key, aliases in cols.items()} for kind, cols in imports.COLUMNS.items()}
    kind_labels = labels.get(run.kind, {}) if run is not None else {}
    refused = [{**r, "column_label": kind_labels.get(r["column"], r["column"])} for r in (run.refused if run else [])]
    recent = ImportRun.objects.filter(actor_id=request.user.pk)[:10]
    return render(
        request,
        "opendata/import.html",
        {
            "form": form,
            "run": run,
            "refused": refused,
            "recent": recent,
            "columns": [(k, [a[0] for a in cols.values()]) for k, cols in imports.COLUMNS.items()],
            "now": timezone.now(),
        },
        status=400 if request.method == "POST" and (form.errors) else 200,
    )


@login_required
@require_GET
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in imports.COLUMNS:
        raise Http404
    response = HttpResponse(
        imports.template(kind), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.xlsx"'
    return response
