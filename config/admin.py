"""The back office's admin site: the programme dashboard on the index page and its
per-province table as a spreadsheet (/admin/dashboard/provinces.xlsx)."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Font

from accounts.policy import role_of
from branches.dashboard import Dashboard, programme_dashboard
from core.spreadsheets import neutralise
from reminders.selectors import reminder_counts

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def province_table_workbook(dashboard: Dashboard) -> bytes:
    """The dashboard's per-province table as an .xlsx file (Chinese-first headers)."""
    wb = Workbook()
    ws = wb.active
    ws.title = gettext("Provinces")[:31]
    headers = [
        gettext("Province code"),
        gettext("Province"),
        gettext("Young lawyers selected"),
        gettext("Young lawyers: target"),
        gettext("Secondments sent"),
        gettext("Secondments hosted"),
        gettext("Secondments: target"),
        gettext("Firm pairings"),
        gettext("Firm pairings: target"),
        gettext("Pairings with overdue reports"),
        gettext("Branch offices open"),
        gettext("Branch offices: target"),
        gettext("Reports due"),
        gettext("Reports submitted"),
        gettext("Reports on time"),
        gettext("Overdue reports"),
        gettext("Report completeness (%)"),
        gettext("On-time rate (%)"),
    ]
    ws.append([neutralise(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in dashboard.provinces:
        t = row.targets
        ws.append(
            [
                neutralise(v)
                for v in (
                    row.code,
                    row.name,
                    row.trainees,
                    t.get("trainees"),
                    row.secondments_sent,
                    row.secondments_hosted,
                    t.get("secondments"),
                    row.pairings,
                    t.get("firm_pairings"),
                    row.pairings_with_overdue_reports,
                    row.branches,
                    t.get("branches"),
                    row.reports_due,
                    row.reports_complete,
                    row.reports_on_time,
                    row.reports_overdue,
                    row.completeness,
                    row.on_time_rate,
                )
            ]
        )
    ws.freeze_panes = "C2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class PairingAdminSite(admin.AdminSite):
    """The default admin site (see config.apps.PairingAdminConfig)."""

    site_header = _("Lawyer-profession pairing programme · back office")
    site_title = _("Pairing programme")
    index_title = _("Back office")

    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [
            path(
                "dashboard/provinces.xlsx",
                self.admin_view(self.province_table_xlsx),
                name="dashboard_provinces_xlsx",
            ),
            *super().get_urls(),
        ]

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        extra_context = dict(extra_context or {})
        if role_of(request.user) is not None:
            today = timezone.localdate()
            extra_context["dashboard"] = programme_dashboard(user=request.user, today=today)
            extra_context["reminders"] = reminder_counts(user=request.user, today=today)
        return super().index(request, extra_context)

    def province_table_xlsx(self, request: HttpRequest) -> HttpResponse:
        """The per-province table of the dashboard, scoped like the page."""
        if role_of(request.user) is None:
            raise PermissionDenied
        today = timezone.localdate()
        dashboard = programme_dashboard(user=request.user, today=today)
        response = HttpResponse(province_table_workbook(dashboard), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="provinces-{today}.xlsx"'
        return response
