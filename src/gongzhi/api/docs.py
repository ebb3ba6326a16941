"""The API's interactive docs page (/api/v1/docs) from vendored Swagger UI: no CDN, so it works offline.

Django Ninja renders its own template only with ``ninja`` in ``INSTALLED_APPS`` and otherwise loads
Swagger UI from a CDN; this page uses ``static/vendor/swagger-ui/`` and a start-up script of ours
(``static/gongzhi/api-docs.js``), so the content security policy needs nothing beyond this site.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger, _csrf_needed


class OfflineSwagger(Swagger):
    template = "api/docs.html"
    default_settings = {
        "layout": "BaseLayout",
        "deepLinking": True,
        "validatorUrl": None,  # the default sends the schema to validator.swagger.io
    }

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings),
            "api": api,
            "add_csrf": _csrf_needed(api),
        }
        return render(request, self.template, context)
