"""The scope filter's SQL: every province path is a condition on the model's own columns.

At national scale `province = X OR firm.province = X` (an OR across a join) makes
PostgreSQL read every lawyer for one province's page; each path as its own indexed
condition lets it OR index scans. A query plan on test data says nothing about a plan at
751,520 rows, so the SQL shape is asserted here, and the rows against the naive OR filter
on a dataset where every path of every model leads somewhere (bench/scope_bench.py
measures the plans at scale).
"""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Q

from accounts.policy import Action, Role
from lawyers.models import Lawyer, LawyerLicence, Trainee
from pairing.models import Quota, Secondment
from regions.models import Province
from tests.conftest import make_org, make_user
from tests.factories import (
    BranchOfficeFactory,
    FirmPairingFactory,
    LawFirmFactory,
    LawyerFactory,
    PairingAgreementFactory,
    PostingFactory,
    QuotaFactory,
    SecondmentFactory,
    TraineeFactory,
    _county_in,
)

pytestmark = pytest.mark.django_db

SCOPED_MODELS = [
    m for m in apps.get_models() if getattr(m, "scoping", None) and m.scoping.province_paths
]


def _naive(model, province_id: int):
    """The scope as it was written before: one OR across the joins, DISTINCT."""
    q = reduce(
        or_, (Q(**{f"{p}__pk" if p else "pk": province_id}) for p in model.scoping.province_paths)
    )
    return model._base_manager.filter(q).distinct()


def _outer_from(sql: str) -> str:
    """The outer query's FROM clause (what comes before its WHERE)."""
    return sql[: sql.index(" WHERE ")]


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_scope_has_no_or_across_a_join_and_no_distinct(model, regions):
    hunan = regions["43"]
    rows = model._base_manager.filter(model.scoping.q_for_province(model, hunan.pk))
    sql, _ = rows.order_by().values("pk").query.sql_with_params()

    assert "JOIN" not in _outer_from(sql), sql
    assert "DISTINCT" not in sql, sql
    if len(model.scoping.province_paths) > 1:
        assert " OR " in sql  # one arm per path, each on a column of the model


def test_lawyer_scope_is_the_province_column_or_the_firm_column_in_a_list():
    sql, params = (
        Lawyer.objects.filter(Lawyer.scoping.q_for_province(Lawyer, 7))
        .order_by()
        .values("pk")
        .query.sql_with_params()
    )
    assert sql.startswith('SELECT "lawyers_lawyer"."id" AS "pk" FROM "lawyers_lawyer" WHERE')
    assert '("lawyers_lawyer"."province_id" = %s OR "lawyers_lawyer"."firm_id" = ANY(ARRAY(' in sql
    assert '"lawyers_lawyer"."firm_id" IN (SELECT' in sql  # the same, hashed, for filters
    assert params == (7, 7, 7, 7)


@pytest.fixture
def every_path(regions):
    """Rows that reach 湖南 (43), 西藏 (54) and 北京 (11) through each path separately."""
    hunan, tibet, beijing = regions["43"], regions["54"], regions["11"]
    firm_hunan = LawFirmFactory(province=hunan)
    firm_tibet = LawFirmFactory(province=tibet)
    LawFirmFactory(province=beijing)
    LawyerFactory(province=hunan, firm=firm_hunan)
    LawyerFactory(province=hunan, firm=firm_tibet)  # 湖南 only by its own province
    LawyerFactory(province=tibet, firm=firm_hunan)  # 湖南 only through its firm
    LawyerFactory(province=beijing, firm=None)
    trainee = TraineeFactory(home_province=tibet)
    quota = QuotaFactory(hosts=[hunan], sources=[tibet, beijing])
    QuotaFactory(hosts=[beijing], sources=[beijing])
    # a 西藏 trainee hosted by a 湖南 firm: the trainee reaches 湖南 only through it
    SecondmentFactory(trainee=trainee, host_firm=firm_hunan, quota=quota)
    FirmPairingFactory(agreement=PairingAgreementFactory(helper_province=hunan))
    FirmPairingFactory()  # 北京 helps 西藏
    branch = BranchOfficeFactory(parent_firm=firm_hunan, county=_county_in("54"))
    BranchOfficeFactory()
    PostingFactory(branch=branch, start_date=dt.date(2026, 1, 1))
    for code in ("43", "54", "11"):
        make_user(f"h5-{code}", make_org(Role.JUSTICE_DEPARTMENT, regions[code]))
    return regions


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_scope_selects_the_rows_of_the_naive_or_filter(model, every_path):
    for code in ("43", "54", "11", "65"):
        province_id = Province.objects.get(code=code).pk
        rows = list(
            model._base_manager.filter(model.scoping.q_for_province(model, province_id))
            .order_by()
            .values_list("pk", flat=True)
        )
        expected = set(_naive(model, province_id).values_list("pk", flat=True))
        assert len(rows) == len(set(rows)), f"{model.__name__}: a row repeated without DISTINCT"
        assert set(rows) == expected, (model.__name__, code)


def test_the_dataset_reaches_a_province_through_each_path(every_path):
    """Guard for the test above: the rows do exercise the paths beyond the first."""
    hunan = every_path["43"].pk
    for model, path in (
        (Lawyer, "firm__province"),
        (LawyerLicence, "lawyer__firm__province"),
        (Trainee, "secondments__host_firm__province"),
        (Quota, "source_provinces"),
        (Secondment, "host_firm__province"),
    ):
        province = every_path["54"].pk if model is Quota else hunan
        only_there = model._base_manager.filter(**{f"{path}__pk": province}).exclude(
            **{f"{model.scoping.province_paths[0]}__pk": province}
        )
        assert only_there.exists(), (model.__name__, path)


def test_for_user_reads_the_same_rows_as_the_naive_filter(every_path):
    from accounts.models import User

    user = User.objects.get(username="h5-43")
    scoped = set(Lawyer.objects.for_user(user, Action.VIEW).values_list("pk", flat=True))
    assert scoped == set(_naive(Lawyer, every_path["43"].pk).values_list("pk", flat=True))
    assert len(scoped) == 4  # two through the province, two (one a mentor) through the firm
    with connection.cursor() as cursor:  # the rows of the SQL as written, not only the ORM's
        sql, params = Lawyer.objects.for_user(user).order_by().values("pk").query.sql_with_params()
        cursor.execute(sql, params)
        assert {r[0] for r in cursor.fetchall()} == scoped
