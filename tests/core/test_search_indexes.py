"""Name search uses indexes: the admin's and portal's lookups (icontains → UPPER(x) LIKE
'%…%', istartswith → UPPER(x) LIKE '…%', iexact → UPPER(x) = …) each have an index on that
very expression, so the OR of a search's arms can be a BitmapOr instead of a scan of 751,520
lawyers (bench/scope_bench.py measures it at scale).

With sequential scans disabled, PostgreSQL still scans when no index can answer the
condition; a plan without a Seq Scan on small data therefore shows that every arm of the
query is indexable (not how fast it is).
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory

from accounts.models import User
from firms.models import LawFirm
from lawyers.models import Lawyer
from portal.views.base import search
from tests.factories import LawFirmFactory, LawyerFactory

pytestmark = pytest.mark.django_db


def _indexdef(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        row = cursor.fetchone()
    assert row is not None, f"index {name} is missing"
    return row[0]


@pytest.mark.parametrize(
    ("index", "expression"),
    [
        ("lawyer_name_trgm_idx", "USING gin (upper((name)::text) gin_trgm_ops)"),
        ("lawyer_pinyin_upper_idx", "(upper((name_pinyin)::text) text_pattern_ops)"),
        ("lawyer_initials_upper_idx", "(upper((name_initials)::text) text_pattern_ops)"),
        ("lawyer_licence_no_upper_idx", "(upper((current_licence_no)::text))"),
        ("lawfirm_name_trgm_idx", "USING gin (upper((name)::text) gin_trgm_ops)"),
        ("lawfirm_pinyin_upper_idx", "(upper((name_pinyin)::text) text_pattern_ops)"),
        ("lawfirm_initials_upper_idx", "(upper((name_initials)::text) text_pattern_ops)"),
        ("lawfirm_credit_code_upper_idx", "(upper((credit_code)::text))"),
        ("lawyer_name_grams_idx", "USING gin (search_grams(upper((name)::text)))"),
        ("lawfirm_name_grams_idx", "USING gin (search_grams(upper((name)::text)))"),
    ],
)
def test_search_expression_index_exists(index, expression):
    assert expression in _indexdef(index)


def _plan(queryset) -> str:
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(r[0] for r in cursor.fetchall())


def _admin_search(model, term: str):
    request = RequestFactory().get("/", {"q": term})
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    model_admin = admin.site._registry[model]
    queryset, _ = model_admin.get_search_results(request, model._default_manager.all(), term)
    return queryset


@pytest.mark.parametrize("model", [Lawyer, LawFirm], ids=lambda m: m.__name__)
@pytest.mark.parametrize("term", ["欧阳晓东", "晓东", "东", "oyxd", "ouyang"])
def test_admin_search_arms_all_use_indexes(model, term, regions):
    LawFirmFactory(name="欧阳晓东律师事务所")
    LawyerFactory(name="欧阳晓东", name_pinyin="ouyangxiaodong", name_initials="oyxd")
    queryset = _admin_search(model, term)
    sql = str(queryset.query)
    assert f'UPPER("{model._meta.db_table}"."name"::text) LIKE' in sql
    plan = _plan(queryset)
    assert "Seq Scan" not in plan, plan
    assert queryset.exists()


@pytest.mark.parametrize("term", ["欧阳晓东", "张伟", "oyxd"])
def test_portal_search_uses_the_same_indexed_expressions(term, regions):
    LawyerFactory(name="欧阳晓东", name_pinyin="ouyangxiaodong", name_initials="oyxd")
    LawyerFactory(name="张伟", name_pinyin="zhangwei", name_initials="zw")
    queryset = search(
        Lawyer.objects.all(),
        term,
        ("=current_licence_no", "name", "^name_initials", "^name_pinyin"),
    )
    plan = _plan(queryset)
    assert "Seq Scan" not in plan, plan
    assert queryset.exists()


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("张伟", {"张伟", "张伟明", "李张伟"}),  # contains, in order
        ("伟张", {"伟张"}),
        ("张", {"张伟", "张伟明", "李张伟", "伟张"}),
        ("明", {"张伟明"}),
        ("张伟明", {"张伟明"}),
        ("ab", {"AB律师"}),  # case-insensitive, as icontains
        ("张 伟", set()),
        ("%", set()),  # LIKE wildcards are literal
    ],
)
def test_name_contains_finds_what_icontains_finds(term, found, regions):
    for name in ("张伟", "张伟明", "李张伟", "伟张", "AB律师"):
        LawyerFactory(name=name)
    names = set(Lawyer.objects.filter(name__icontains=term).values_list("name", flat=True))
    assert names == found
    sql, _ = Lawyer.objects.filter(name__icontains=term).query.sql_with_params()
    assert 'search_grams(UPPER("lawyers_lawyer"."name"::text)) @> search_grams(UPPER(%s))' in sql
