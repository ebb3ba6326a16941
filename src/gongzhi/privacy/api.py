"""/api/v1/privacy/: a user's own data, and staff's export for a person at their written request."""

from __future__ import annotations

from ninja import Router, Schema

from gongzhi.core.apischema import ErrorOut

from . import services

PREFIX = "privacy"
router = Router(tags=["privacy"])


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.get("/my-data", response={200: dict, **ERRORS})
def my_data(request):
    """Everything the platform holds about the caller, in clear (logged in the security audit log)."""
    return services.export_own_data(request.user, request=request, via="api")


class PersonExportIn(Schema):
    reference: str = ""  # the number or date of the person's written request (required: 400 when empty)


@router.post("/people/{pk}/export", response={200: dict, **ERRORS})
def person_export(request, pk: int, data: PersonExportIn):
    """A copy of everything held about person ``pk``, for their written request (district administrators and
    community cadres in their area; logged with the reference)."""
    return services.export_person_data(request.user, pk, reference=data.reference, request=request, via="api")
