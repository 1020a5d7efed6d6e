"""Spreadsheet import/export in the admin: a mixin for ModelAdmins of scoped models.

Adds to a changelist "Import" (upload → dry-run preview → confirm), "Export" (XLSX/CSV of
the current, filtered changelist; formula cells neutralised; personal data masked unless
the user holds the model's personal-data permission; logged) and blank templates. The
resource is found by convention: `<app>.resources.<Model>Resource`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import ImportMode, ImportRecord, ImportStatus
from core.spreadsheets import SpreadsheetError, max_bytes, max_rows

from .import_records import (
    create_import_record,
    current_progress,
    resource_for,
    start_import_step,
)
from .imports import SpreadsheetResource, export_rows, record_export, render_file

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class SpreadsheetImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (XLSX or CSV)"),
        help_text=gettext_lazy(
            "CSV may be UTF-8 (with or without BOM) or GBK/GB18030, as Excel saves it."
        ),
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("Mode"),
        choices=ImportMode.choices,
        initial=ImportMode.CREATE_OR_UPDATE,
        widget=forms.RadioSelect,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB; split it into smaller files.")
                % {"limit": f"{max_bytes() / (1024 * 1024):.1f}"}
            )
        return upload


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = (
        f'attachment; filename="export.{filename.rsplit(".", 1)[-1]}"; '
        f"filename*=UTF-8''{quote(filename)}"
    )
    return response


class SpreadsheetAdminMixin:
    """Put before ScopedModelAdmin in the bases: `class XAdmin(SpreadsheetAdminMixin,
    ScopedModelAdmin)`."""

    change_list_template = "admin/spreadsheet_change_list.html"

    # --- plumbing -------------------------------------------------------------------------
    def get_resource_class(self) -> type[SpreadsheetResource]:
        opts = self.model._meta
        return import_string(f"{opts.app_config.name}.resources.{opts.object_name}Resource")

    def _url_name(self, suffix: str) -> str:
        opts = self.model._meta
        return f"{opts.app_label}_{opts.model_name}_{suffix}"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        urls = [
            path("import/", wrap(self.import_view), name=self._url_name("import")),
            path(
                "import/<int:record_id>/",
                wrap(self.import_status_view),
                name=self._url_name("import_status"),
            ),
            path("export/", wrap(self.export_view), name=self._url_name("export")),
            path(
                "import-template/",
                wrap(self.import_template_view),
                name=self._url_name("import_template"),
            ),
        ]
        return urls + super().get_urls()

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) or self.has_change_permission(request)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        extra = {
            "spreadsheet_import_url": reverse(f"admin:{self._url_name('import')}")
            if self.has_import_permission(request)
            else "",
            "spreadsheet_export_url": reverse(f"admin:{self._url_name('export')}"),
            "spreadsheet_query": request.GET.urlencode(),
        }
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            **extra,
        }

    # --- import ----------------------------------------------------------------------------
    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        resource_class = self.get_resource_class()
        form = SpreadsheetImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                record = create_import_record(
                    user=request.user,
                    resource_class=resource_class,
                    upload=upload,
                    file_name=upload.name,
                    mode=form.cleaned_data["mode"],
                )
            except SpreadsheetError as e:
                form.add_error("file", str(e))
            else:
                start_import_step(record=record, apply=False)
                return HttpResponseRedirect(
                    reverse(f"admin:{self._url_name('import_status')}", args=[record.pk])
                )
        context = self._context(
            request,
            _("Import %(name)s") % {"name": self.model._meta.verbose_name_plural},
            form=form,
            columns=resource_class.column_names(),
            key_columns=[f.column_name for f in resource_class().key_fields],
            max_rows=max_rows(),
            max_mb=f"{max_bytes() / (1024 * 1024):.0f}",
            template_url=reverse(f"admin:{self._url_name('import_template')}"),
            recent=ImportRecord.objects.filter(
                user=request.user, model_label=self.model._meta.label
            )[:10],
            status_url_name=f"admin:{self._url_name('import_status')}",
        )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/spreadsheet_import.html", context)

    def import_status_view(self, request: HttpRequest, record_id: int) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        records = ImportRecord.objects.filter(model_label=self.model._meta.label)
        if not request.user.is_superuser:
            records = records.filter(user=request.user)
        record = records.filter(pk=record_id).first()
        if record is None:
            raise Http404
        if request.method == "POST":
            if record.status == ImportStatus.PREVIEWED and not record.errors:
                resource_for(record.resource)  # refuses a record naming no resource
                confirm = request.POST.get("confirm_rows") == "on"
                if record.confirmations and not confirm:
                    # the rows are not applied without the clerk's explicit confirmation
                    messages.error(
                        request,
                        _(
                            "Some rows need your confirmation: tick “I confirm the rows "
                            "listed above” to import them, or correct the file."
                        ),
                    )
                    return HttpResponseRedirect(request.path)
                start_import_step(record=record, apply=True, confirm=confirm)
                messages.info(request, _("The import has started."))
            return HttpResponseRedirect(request.path)
        record.refresh_from_db()
        running = record.status in (ImportStatus.PENDING, ImportStatus.RUNNING)
        context = self._context(
            request,
            _("Import: %(file)s") % {"file": record.file_name},
            record=record,
            progress=current_progress(record),
            running=running,
            may_confirm=record.status == ImportStatus.PREVIEWED and not record.errors,
            import_url=reverse(f"admin:{self._url_name('import')}"),
            changelist_url=reverse(f"admin:{self._url_name('changelist')}"),
        )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/spreadsheet_import_status.html", context)

    # --- export ------------------------------------------------------------------------------
    def _file_format(self, request: HttpRequest) -> str:
        file_format = request.GET.get("format", "xlsx")
        if file_format not in CONTENT_TYPES:
            raise Http404
        return file_format

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        file_format = self._file_format(request)
        # the changelist's own queryset: scoped, with the current filters and search
        get = request.GET.copy()
        get.pop("format", None)
        request.GET = get
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request)
        limit = max_rows()
        if queryset[: limit + 1].count() > limit:
            messages.error(
                request,
                _("More than %(limit)d rows: filter the list before exporting.") % {"limit": limit},
            )
            changelist_url = reverse(f"admin:{self._url_name('changelist')}")
            return HttpResponseRedirect(f"{changelist_url}?{get.urlencode()}")
        resource_class = self.get_resource_class()
        headers, rows, masked = export_rows(
            user=request.user, resource_class=resource_class, queryset=queryset
        )
        record_export(
            user=request.user,
            resource_class=resource_class,
            count=len(rows),
            masked=masked,
            description=f"{self.model._meta.label} {file_format} ?{get.urlencode()}",
        )
        body = render_file(
            headers,
            rows,
            file_format=file_format,
            resource_class=resource_class,
            title=str(self.model._meta.verbose_name_plural),
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        name = f"{self.model._meta.verbose_name_plural}-{stamp}.{file_format}"
        return _attachment(HttpResponse(body, content_type=CONTENT_TYPES[file_format]), name)

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        file_format = self._file_format(request)
        resource_class = self.get_resource_class()
        body = render_file(
            resource_class.column_names(),
            [],
            file_format=file_format,
            resource_class=resource_class,
            title=str(self.model._meta.verbose_name_plural),
        )
        name = f"{self.model._meta.verbose_name_plural}-{_('template')}.{file_format}"
        return _attachment(HttpResponse(body, content_type=CONTENT_TYPES[file_format]), name)


__all__ = ["SpreadsheetAdminMixin", "SpreadsheetImportForm"]
