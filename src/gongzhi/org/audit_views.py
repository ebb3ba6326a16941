"""The security audit log for auditors: /audit/ (filters, pages) and /audit/export.csv.

Only holders of ``view_audit_log`` (the auditor role) see it, each the rows of their region subtree;
rows without a region (system actions, unknown users' failed log-ins) only auditors of a district
or above.  Exporting is itself logged.
"""

from __future__ import annotations

import csv
import datetime as dt
import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from gongzhi.core import audit
from gongzhi.core.models import Region, SecurityLog

from . import permissions as perm

EXPORT_MAX_ROWS = 100_000


def visible_rows(user):
    """The rows ``user`` may read (none without ``view_audit_log``)."""
    qs = SecurityLog.objects.select_related("region")
    paths = perm.scope_paths(user, perm.VIEW_AUDIT_LOG)
    if paths is None:
        return qs
    if not paths:
        return qs.none()
    cond = Q()
    for p in paths:
        cond |= Q(region__path__startswith=p)
    if Region.objects.filter(
        Q(parent__isnull=True) | Q(level__in=(Region.Level.CITY, Region.Level.DISTRICT)), path__in=paths
    ).exists():
        cond |= Q(region__isnull=True)  # platform-wide rows: for auditors of a district or above
    return qs.filter(cond)


class FilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=[("", _("全部"))] + SecurityLog.Kind.choices)
    user = forms.CharField(label=_("用户名"), required=False, max_length=150)
    start = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("截止日期不能早于起始日期"))
        return data


def _filtered(request):
    if not perm.allowed(request.user, perm.VIEW_AUDIT_LOG):
        raise PermissionDenied(_("只有审计员可以查看安全审计日志"))
    form = FilterForm(request.GET or None)
    qs = visible_rows(request.user)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        if d["kind"]:
            qs = qs.filter(kind=d["kind"])
        if d["user"]:
            qs = qs.filter(username=d["user"].strip())
        tz = timezone.get_current_timezone()
        if d["start"]:
            qs = qs.filter(at__gte=dt.datetime.combine(d["start"], dt.time.min, tzinfo=tz))
        if d["end"]:
            qs = qs.filter(at__lt=dt.datetime.combine(d["end"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    elif form.is_bound:
        qs = qs.none()
    return form, qs.order_by("-at", "-id")


@require_GET
@login_required
def log_page(request):
    form, qs = _filtered(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


class _Echo:
    def write(self, value):
        return value


@require_GET
@login_required
def log_export(request):
    form, qs = _filtered(request)
    if form.is_bound and not form.is_valid():
        return log_page(request)
    n = qs.count()
    audit.record(
        "log_exported",
        actor=request.user,
        request=request,
        region=perm.home_region(request.user),
        detail={"rows": min(n, EXPORT_MAX_ROWS), "filters": {k: v for k, v in request.GET.items()}},
    )
    writer = csv.writer(_Echo())

    def rows():
        yield "\ufeff"  # Excel opens UTF-8 CSV with a BOM
        yield writer.writerow(["at", "kind", "user_id", "username", "region", "target", "ip", "detail"])
        for r in qs[:EXPORT_MAX_ROWS].iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    r.at.isoformat(),
                    r.kind,
                    r.user_id or "",
                    r.username,
                    r.region.code if r.region_id else "",
                    r.target,
                    r.ip or "",
                    json.dumps(r.detail, ensure_ascii=False, sort_keys=True),
                ]
            )

    resp = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="security-log-{timezone.localdate():%Y%m%d}.csv"'
    return resp
