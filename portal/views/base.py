"""Building blocks of every portal page: scoped reads through the policy layer, list pages
with the apps' FilterSets, search (pinyin initials too), pagination and XLSX export."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.imports.exporting import export_rows, record_export, render_file
from accounts.policy import Action

PAGE_SIZE = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def scoped(model: type[models.Model], user: Any, action: Action = Action.VIEW) -> models.QuerySet:
    """The rows of `model` the user may see (or change): the one policy layer."""
    return model._default_manager.for_user(user, action)  # type: ignore[attr-defined]


def get_scoped_or_404(
    queryset: models.QuerySet, user: Any, action: Action = Action.VIEW, **lookup: Any
) -> models.Model:
    """One row the user may see or change; another province's is a 404, like a missing one."""
    try:
        return queryset.model.scoping.filter(queryset, user, action).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def search(queryset: models.QuerySet, term: str, fields: tuple[str, ...]) -> models.QuerySet:
    """`fields` as in the admin: "=code" exact, "^initials" prefix, else contains."""
    term = term.strip()
    if not term:
        return queryset
    if "\x00" in term:  # no text in PostgreSQL holds NUL; the literal would fail the query
        return queryset.none()
    q = Q()
    for field in fields:
        if field.startswith("="):
            q |= Q(**{f"{field[1:]}__iexact": term})
        elif field.startswith("^"):
            q |= Q(**{f"{field[1:]}__istartswith": term})
        else:
            q |= Q(**{f"{field}__icontains": term})
    return queryset.filter(q)


def list_page(
    request: HttpRequest,
    *,
    queryset: models.QuerySet,
    filterset_class: type,
    template: str,
    search_fields: tuple[str, ...] = (),
    resource_class: type | None = None,
    export_name: str = "export",
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """A filtered, searched, paginated list; `?format=xlsx` exports the filtered rows
    (personal data masked unless permitted, the export logged)."""
    filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    if filterset.is_bound and not filterset.is_valid():
        rows = queryset.none()
    rows = search(rows, request.GET.get("q", ""), search_fields)
    if request.GET.get("format") == "xlsx" and resource_class is not None:
        return export(request, rows, resource_class, export_name)
    paginator = Paginator(rows, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        template,
        {
            "filterset": filterset,
            "page": page,
            "rows": page.object_list,
            "q": request.GET.get("q", ""),
            "query": query.urlencode(),
            **(context or {}),
        },
    )


def export(
    request: HttpRequest, rows: models.QuerySet, resource_class: type, name: str
) -> HttpResponse:
    headers, data, masked = export_rows(
        user=request.user, resource_class=resource_class, queryset=rows
    )
    content = render_file(headers, data, file_format="xlsx", resource_class=resource_class)
    record_export(
        user=request.user,
        resource_class=resource_class,
        count=len(data),
        masked=masked,
        description=_("portal export: %(filters)s") % {"filters": request.GET.urlencode()[:400]},
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
