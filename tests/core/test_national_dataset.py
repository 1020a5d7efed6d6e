"""`manage.py generate_national_dataset` at --scale 0.01 (issue 14): every invariant holds,
a seed gives the same rows, a rerun skips what is there, and the checks do catch a broken
row. Sizes and timings at scale 1.0 are the benchmark's (bench/), not asserted here."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import PersonalDataAccess, User
from branches.models import BranchOffice, Posting, ServiceRecord
from core.national import checks, shape
from core.national.generator import Options
from firms.identifiers import credit_code_problem
from firms.models import LawFirm
from lawyers.identifiers import licence_problem
from lawyers.models import Lawyer, LawyerLicence, Trainee
from pairing.models import FirmPairing, ProgressReport, Secondment
from reminders.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)

SCALE = "0.01"


def _generate(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_national_dataset", "--scale", SCALE, *args, stdout=out)
    return out.getvalue()


def _events(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (our table names)
        return cursor.fetchone()[0]


def test_generates_every_table_with_its_invariants_and_the_same_rows_per_seed():
    output = _generate("--seed", "7")
    assert "invariants: all hold" in output
    options = Options(scale=float(SCALE), seed=7)
    # every table the programme has, at about a hundredth of the national figures
    lawyers = Lawyer.objects.count()
    assert 0.8 * shape.LAWYERS * 0.01 <= lawyers <= 1.3 * shape.LAWYERS * 0.01
    assert LawFirm.objects.count() == round(shape.FIRMS * 0.01)
    assert LawyerLicence.objects.count() > lawyers  # histories: some lawyers moved
    assert LawyerLicence.objects.filter(is_current=False).exists()
    assert ServiceRecord.objects.count() >= 0.99 * shape.SERVICE_RECORDS * 0.01
    assert Notification.objects.count() == round(shape.NOTIFICATIONS * 0.01)
    assert PersonalDataAccess.objects.count() == round(shape.PERSONAL_DATA_ACCESSES * 0.01)
    for model in (Trainee, Secondment, FirmPairing, ProgressReport, BranchOffice, Posting):
        assert model.objects.exists(), model
    # states follow the dataset's date: some of each
    statuses = set(Secondment.objects.values_list("status", flat=True))
    assert {"completed", "cancelled"} <= statuses
    assert {"active", "ended"} <= set(FirmPairing.objects.values_list("status", flat=True))
    assert {"accepted", "draft"} <= set(ProgressReport.objects.values_list("status", flat=True))
    # identifiers pass their validators (all of them, not a sample)
    for number in LawyerLicence.objects.values_list("number", flat=True):
        assert licence_problem(number) is None, number
    for code in LawFirm.objects.values_list("credit_code", flat=True):
        assert credit_code_problem(code) is None, code
    for code in BranchOffice.objects.values_list("credit_code", flat=True):
        assert credit_code_problem(code) is None, code
    # generated users cannot sign in with a password
    assert not any(
        u.has_usable_password() for u in User.objects.filter(username__startswith="nat-")
    )
    # audit events as the services leave them: an insert per row, updates for transitions
    assert _events("lawyers_lawyerevent") >= lawyers
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pairing_secondmentevent WHERE pgh_label = 'update' "
            "AND status = 'completed'"
        )
        assert cursor.fetchone()[0] == Secondment.objects.filter(status="completed").count()
    assert checks.run(options) == []
    first = checks.digest()

    # a second run with the same arguments writes nothing
    again = _generate("--seed", "7")
    assert again.count("done earlier") == 10
    assert "invariants: checked when the tables were written" in again
    assert "invariants: all hold" in _generate("--seed", "7", "--check")
    assert checks.digest() == first

    # the same seed from empty gives the same rows
    _generate("--seed", "7", "--flush", "--no-check")
    assert checks.digest() == first


def test_refuses_a_database_holding_other_rows_and_the_checks_catch_broken_ones():
    _generate("--no-check")
    # other arguments over this dataset: refused, naming the table, nothing written
    with pytest.raises(CommandError, match="accounts_user holds rows"):
        _generate("--seed", "99")
    # a broken row is found by the set-based checks (the generator never writes one)
    secondment = Secondment.objects.order_by("pk").first()
    other = Lawyer.objects.exclude(firm=secondment.host_firm).exclude(firm=None).first()
    Secondment.objects.filter(pk=secondment.pk).update(mentor=other)
    # a trainee born 40 years and a day before the selection date is under 40 (age()'s
    # 39 years 11 months 30 days once compared equal to 40 years)
    trainee = Trainee.objects.select_related("lawyer").order_by("pk").first()
    day_after = trainee.selection_date.replace(year=trainee.selection_date.year - 40)
    Lawyer.objects.filter(pk=trainee.lawyer_id).update(birth_date=day_after + dt.timedelta(days=1))
    problems = checks.run(Options(scale=float(SCALE)))
    assert not any("under 40" in p for p in problems)
    Lawyer.objects.filter(pk=trainee.lawyer_id).update(birth_date=day_after)
    problems = checks.run(Options(scale=float(SCALE)))
    assert any("1 row(s) break: a trainee is under 40" in p for p in problems)
    assert any("mentor works at its host firm" in p for p in problems)
    assert any(f"pairing.Secondment #{secondment.pk}" in p for p in problems) or any(
        "1 row(s) break" in p for p in problems
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scale", "0"], "--scale: must lie between"),
        (["--scale", "abc"], "--scale: must be a number"),
        (["--years", "2019-2026"], "--years: must lie within"),
        (["--years", "2026"], "--years: must look like"),
        (["--seed", "x"], "--seed: must be an integer"),
    ],
)
def test_bad_arguments_name_the_option_and_the_rule(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("generate_national_dataset", *args, stdout=io.StringIO())
    assert not Lawyer.objects.exists()
