"""ScopedModelViewSet: the base of every resource under /api/v1/.

Reads start from `Model.objects.for_user(user, action)` (the policy layer); writes build
the instance from validated data and call the app's service (scope check on the stored
and the saved row, full_clean, audit), never `serializer.save()`. Detail responses carry
an ETag; writes honour If-Match (412) and POSTs honour Idempotency-Key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import MethodNotAllowed, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.conditional import check_if_match, etag_of, not_modified
from core.api.fields import BRIEF_PARAM, FIELDS_PARAM, requested_fields, trim_queryset
from core.api.idempotency import idempotent

from ..models import PersonalDataAccessKind
from ..policy import Action
from ..services import record_personal_data_access
from .authentication import api_key_of
from .permissions import METHOD_ACTIONS, ApiKeyScopes, PolicyPermission

COMMON_LIST_PARAMETERS = [
    OpenApiParameter(
        "fields",
        OpenApiTypes.STR,
        description="Comma-separated fields to return (the query loads only these). "
        "逗号分隔的返回字段（查询也只读取这些字段）。",
    ),
    OpenApiParameter(
        "brief",
        OpenApiTypes.BOOL,
        description="Only the brief fields. 仅返回简要字段。",
    ),
    OpenApiParameter(
        "updated_since",
        OpenApiTypes.DATETIME,
        description="Incremental sync: rows changed at or after this time, oldest first, in "
        "keyset pages (follow next_cursor). 增量同步：返回此时间及之后变更的记录，按变更时间"
        "升序，使用游标分页（按 next_cursor 继续）。",
    ),
    OpenApiParameter(
        "cursor",
        OpenApiTypes.STR,
        description="Keyset position from a previous page's next_cursor. 上一页返回的 next_cursor。",
    ),
]
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag you read; 412 if the record changed since. 读取时的 ETag；记录已变更时返回 412。",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any unique string; a retry with the same key returns the first result. "
    "任意唯一字符串；使用相同键重试将返回首次结果，不会重复创建。",
)


class ScopedModelViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """List and retrieve for every caller the policy lets read; create/update where
    `writable` (the app's service does the write)."""

    model: type[models.Model]
    serializer_class: type  # read serializer
    write_serializer_class: type | None = None
    #: joins and prefetches the read serializer needs (exactly those: habit 1)
    select_related: tuple[str, ...] = ()
    prefetch_related: dict[str, Any] = {}
    ordering: tuple[str, ...] = ("pk",)
    #: django's permission that lets a signed-in (session) user see personal data unmasked
    personal_data_permission: str = ""
    writable = False  # POST (create), PUT/PATCH (update)
    permission_classes = [IsAuthenticated, ApiKeyScopes, PolicyPermission]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    lookup_value_regex = r"\d+"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # PostgreSQL cannot hold NUL in a text value, and django-filter's comma-separated
        # `__in` filters do not check each item: answer 400 before any filter runs
        null_in = sorted(
            {k for k, v in request.query_params.lists() if any("\x00" in x for x in v)}
        )
        if null_in:
            raise ValidationError({name: [NULL_CHARACTERS] for name in null_in})

    # --- policy ---------------------------------------------------------------------------
    def queryset_model(self) -> type[models.Model]:
        return self.model

    def policy_action(self) -> Action:
        """create → ADD; reads → VIEW; updates and POST /{id}/<verb>/ → CHANGE."""
        if getattr(self, "action", None) == "create":
            return Action.ADD
        action = METHOD_ACTIONS.get(self.request.method or "GET", Action.VIEW)
        return Action.CHANGE if action == Action.ADD else action

    def base_queryset(self) -> models.QuerySet:
        queryset = self.model._default_manager.all()
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related.values())
        return queryset.order_by(*self.ordering)

    def get_queryset(self) -> models.QuerySet:
        action = Action.VIEW if self.request.method in ("GET", "HEAD", "OPTIONS") else Action.CHANGE
        queryset = self.model._default_manager.none()
        if getattr(self, "swagger_fake_view", False):
            return queryset
        queryset = self.base_queryset().for_user(self.request.user, action)  # type: ignore[attr-defined]
        if self.request.method == "GET" and self._fields() is not None:
            serializer = self.get_serializer()
            queryset = trim_queryset(queryset, serializer, self.prefetch_related)
        return queryset

    def filter_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        """The list's filters (`?name=`, `?province=`...) on lists only: a record by id
        (read, update, POST /{id}/<verb>/) is the record whatever the query string says,
        and is found without building the FilterSet (a third of a detail GET's cost)."""
        if getattr(self, "detail", False):
            return queryset
        return super().filter_queryset(queryset)

    # --- serializers ------------------------------------------------------------------------
    def may_see_personal_data(self) -> bool:
        api_key = api_key_of(self.request)
        if api_key is not None:
            return api_key.scope_personal_data
        permission = self.personal_data_permission
        return bool(permission) and self.request.user.has_perm(permission)

    def _fields(self) -> list[str] | None:
        if not hasattr(self, "_selected_fields"):
            self._selected_fields = None
            request = self.request
            # only `?fields=` and `?brief=` select fields: without them the serializer's
            # fields are not built an extra time to learn their names
            if (
                request is not None
                and request.method == "GET"
                and (FIELDS_PARAM in request.query_params or BRIEF_PARAM in request.query_params)
            ):
                serializer_class = self.serializer_class
                meta = getattr(serializer_class, "Meta", None)
                available = list(serializer_class().fields) if serializer_class else []
                self._selected_fields = requested_fields(
                    request.query_params, available, getattr(meta, "brief_fields", ())
                )
        return self._selected_fields

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False) or self.request is None:
            return context
        context["personal_data"] = self.may_see_personal_data()
        context["fields"] = self._fields()
        return context

    def get_serializer_class(self) -> type:
        if self.request is not None and self.action in ("create", "update", "partial_update"):
            return self.write_serializer_class or self.serializer_class
        return self.serializer_class

    def may_read(self) -> bool:
        """False for an API key without the read scope (a write-only key)."""
        api_key = api_key_of(self.request)
        return api_key is None or api_key.scope_read

    def read_data(self, instance: models.Model) -> Any:
        """The record as a write answers it; to a write-only key, only what identifies the
        write (a key that may not read records does not read them through its writes)."""
        if not self.may_read():
            return write_receipt(instance)
        return self.serializer_class(instance, context=self.get_serializer_context()).data

    # --- reads --------------------------------------------------------------------------------
    @extend_schema(parameters=COMMON_LIST_PARAMETERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        self._log_personal_data(response, many=True)
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        if not_modified(request, instance):
            return Response(
                status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag_of(instance)}
            )
        response = Response(self.get_serializer(instance).data, headers={"ETag": etag_of(instance)})
        self._log_personal_data(response, many=False, objects=[instance])
        return response

    def _log_personal_data(
        self, response: Response, *, many: bool, objects: list[models.Model] | None = None
    ) -> None:
        meta = getattr(self.serializer_class, "Meta", None)
        personal = set(getattr(meta, "personal_fields", ())) | set(
            getattr(meta, "sensitive_fields", ())
        )
        fields = self._fields()
        if fields is not None:
            personal &= set(fields)
        if not personal or not self.may_see_personal_data() or response.status_code != 200:
            return
        data = response.data
        # a page ({"results": [...]}), without pagination the list itself, or one record
        page = data if isinstance(data, list) else data.get("results", [])
        rows = page if many else [data]
        if not rows:
            return
        record_personal_data_access(
            user=self.request.user,
            kind=PersonalDataAccessKind.VIEW,
            model=self.model,
            object_ids=[r.get("id") for r in rows if isinstance(r, dict) and "id" in r],
            description=f"API {self.request.method} {self.request.path}"[:500],
            count=len(rows),
        )

    # --- writes ---------------------------------------------------------------------------------
    def save_instance(self, instance: models.Model, *, created: bool) -> models.Model:
        """Call the app's service. Subclasses that are `writable` override this."""
        raise MethodNotAllowed(self.request.method)

    def _require_writable(self) -> None:
        if not self.writable:
            raise MethodNotAllowed(self.request.method)

    @extend_schema(parameters=[IDEMPOTENCY_KEY])
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._require_writable()

        def handler() -> Response:
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
            many = {k: data.pop(k) for k in list(data) if self._is_many(k)}
            instance = self.model(**data)
            instance = self.save_instance(instance, created=True)
            for name, values in many.items():
                getattr(instance, name).set(values)
            return Response(
                self.read_data(instance),
                status=status.HTTP_201_CREATED,
                headers={"ETag": etag_of(instance)},
            )

        return idempotent(request, handler)

    @extend_schema(parameters=[IF_MATCH])
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._require_writable()
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        check_if_match(request, instance)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        changes = [n for n in serializer.validated_data if self._is_field(n)]
        if partial and not changes and not getattr(serializer, "service_input", None):
            # a PATCH that names no field of the record (nor input its service takes, such
            # as a quota's provinces) changes nothing: no save, so no new updated_at, ETag
            # or audit entry
            return Response(self.read_data(instance), headers={"ETag": etag_of(instance)})
        many = {}
        for name, value in serializer.validated_data.items():
            if self._is_many(name):
                many[name] = value
            else:
                setattr(instance, name, value)
        instance = self.save_instance(instance, created=False)
        for name, values in many.items():
            getattr(instance, name).set(values)
        return Response(self.read_data(instance), headers={"ETag": etag_of(instance)})

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def _is_field(self, name: str) -> bool:
        try:
            self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        return True

    def _is_many(self, name: str) -> bool:
        try:
            field = self.model._meta.get_field(name)
        except Exception:
            return False
        return bool(field.many_to_many)

    # --- state changes (POST /{id}/<verb>/) ---------------------------------------------------
    def transition(
        self,
        request: Request,
        service: Callable[..., Any],
        *,
        argument: str,
        **kwargs: Any,
    ) -> Response:
        """Run a service on the object (CHANGE scope), honouring If-Match and
        Idempotency-Key; answer with the object as it is now."""

        def handler() -> Response:
            instance = self.get_object()
            check_if_match(request, instance)
            result = service(actor=request.user, **{argument: instance}, **kwargs)
            instance = result if isinstance(result, models.Model) else instance
            instance.refresh_from_db()
            return Response(self.read_data(instance), headers={"ETag": etag_of(instance)})

        return idempotent(request, handler)


def write_receipt(instance: models.Model) -> dict[str, Any]:
    """What a write answers a key without the read scope: the record's id and version
    (`updated_at`, also behind the ETag header), none of its values."""
    updated_at = getattr(instance, "updated_at", None)
    return {
        "id": instance.pk,
        "updated_at": serializers.DateTimeField().to_representation(updated_at)
        if updated_at is not None
        else None,
    }


NO_WRITE = _("This resource is read-only in the API.")
NULL_CHARACTERS = ProhibitNullCharactersValidator.message
