"""律师执业证号: 17 digits without a check digit, legacy 12-digit numbers accepted."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from lawyers.identifiers import (
    licence_problem,
    parse_licence_number,
    province_codes,
    validate_licence_number,
)
from lawyers.models import LawyerLicence

TODAY = dt.date(2026, 11, 27)
PROVINCES = sorted(province_codes())


def n_digits(n: int):
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


def number(province="54", city="01", year=2023, category="1", gender="0", seq="000123"):
    return f"1{province}{city}{year}{category}{gender}{seq}"


def rejected(value: str) -> str:
    with time_machine.travel(TODAY, tick=False), pytest.raises(ValidationError) as info:
        validate_licence_number(value)
    [message] = info.value.messages
    return message


def test_province_codes_come_from_the_reference_data():
    assert len(PROVINCES) == 32
    assert {"11", "54", "65", "66"} <= set(PROVINCES)


@given(
    province=st.sampled_from(PROVINCES),
    city=n_digits(2),
    year=st.integers(1979, TODAY.year),
    category=n_digits(1),
    gender=st.sampled_from("01"),
    seq=n_digits(6),
)
def test_any_well_formed_number_is_accepted(province, city, year, category, gender, seq):
    value = number(province, city, year, category, gender, seq)
    assert licence_problem(value, today=TODAY) is None
    parsed = parse_licence_number(value)
    assert parsed.province_code == province
    assert parsed.year == year
    assert parsed.gender == ("F" if gender == "1" else "M")


@pytest.mark.parametrize("value", ["15401202310000123", "16501201511000456", "13101200920000001"])
def test_reference_examples_are_valid(value):
    with time_machine.travel(TODAY, tick=False):
        validate_licence_number(value)
    assert licence_problem(value, today=TODAY) is None


@given(value=n_digits(12))
def test_legacy_twelve_digit_numbers_are_accepted(value):
    assert licence_problem(value, today=TODAY) is None
    assert parse_licence_number(value) is None


@given(value=n_digits(17).filter(lambda v: v[0] != "1"))
def test_licence_type_must_be_1(value):
    assert licence_problem(value, today=TODAY) is not None


@given(length=st.integers(0, 30).filter(lambda n: n not in (12, 17)))
def test_wrong_lengths_are_rejected(length):
    value = ("15401202310000123" * 2)[:length]
    assert licence_problem(value, today=TODAY) is not None


@pytest.mark.parametrize("province", ["00", "10", "55", "67", "99", "71"])
def test_unknown_province_is_rejected(province):
    message = rejected(number(province=province))
    assert province in message


@given(year=st.one_of(st.integers(1000, 1978), st.integers(TODAY.year + 1, 9999)))
def test_year_outside_1979_to_this_year_is_rejected(year):
    assert licence_problem(number(year=year), today=TODAY) is not None


def test_year_bounds_follow_the_clock():
    assert "1978" in rejected(number(year=1978))
    assert "2027" in rejected(number(year=2027))
    with time_machine.travel(dt.date(2027, 1, 2), tick=False):
        validate_licence_number(number(year=2027))


@pytest.mark.parametrize("gender", "23456789")
def test_gender_digit_other_than_0_or_1_is_rejected(gender):
    rejected(number(gender=gender))


@pytest.mark.parametrize("value", ["15401202310000123", "154012023100"])
def test_full_width_digits_are_rejected(value):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in value)
    assert full_width[0] == "１"
    assert licence_problem(full_width, today=TODAY) is not None
    rejected(full_width)


def test_letters_and_spaces_are_rejected():
    rejected("1540120231000012X")
    rejected(" 15401202310000123")
    rejected("15401202310000123\n")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_error_message_names_the_field_in_the_active_language(language):
    with translation.override(language):
        field_name = str(LawyerLicence._meta.get_field("number").verbose_name)
        message = rejected(number(gender="2"))
    assert field_name.lower() in message.lower()


def test_error_message_in_english():
    with translation.override("en"):
        message = rejected(number(province="99"))
    assert message.startswith("Licence number:")
    assert "99" in message
    assert "province" in message
