"""统一社会信用代码 (GB 32100-2015): property tests of the validator."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from firms.identifiers import (
    ALPHABET,
    CreditCodeValidator,
    credit_code_check_character,
    credit_code_problem,
    validate_law_firm_credit_code,
)
from firms.models import LawFirm

DIGITS = "0123456789"
FORBIDDEN = "IOSVZ"
digits = st.text(alphabet=DIGITS, min_size=6, max_size=6)
org_code = st.text(alphabet=ALPHABET, min_size=9, max_size=9)


def complete(first17: str) -> str:
    return first17 + credit_code_check_character(first17)


def messages(value: str, validator=validate_law_firm_credit_code) -> list[str]:
    with pytest.raises(ValidationError) as info:
        validator(value)
    return info.value.messages


@given(division=digits, org=org_code)
def test_any_law_firm_code_with_its_check_character_is_accepted(division, org):
    code = complete("31" + division + org)
    assert credit_code_problem(code) is None
    validate_law_firm_credit_code(code)  # does not raise


@given(head=st.text(alphabet=ALPHABET, min_size=2, max_size=2), division=digits, org=org_code)
def test_any_code_with_its_check_character_is_accepted_without_the_law_firm_rule(
    head, division, org
):
    code = complete(head + division + org)
    assert credit_code_problem(code, law_firm=False) is None
    if not code.startswith("31"):
        assert credit_code_problem(code, law_firm=True) is not None


@given(division=digits, org=org_code, data=st.data())
def test_a_changed_check_character_is_rejected(division, org, data):
    first17 = "31" + division + org
    right = credit_code_check_character(first17)
    wrong = data.draw(st.sampled_from([c for c in ALPHABET if c != right]))
    problem = credit_code_problem(first17 + wrong)
    assert problem is not None
    assert right in problem
    messages(first17 + wrong)


@given(division=digits, org=org_code, length=st.integers(0, 40).filter(lambda n: n != 18))
def test_wrong_lengths_are_rejected(division, org, length):
    code = complete("31" + division + org)
    value = (code * 3)[:length]
    assert credit_code_problem(value) is not None
    messages(value)


@given(division=digits, org=st.text(alphabet="ABCDEFGHJKLMNPQRTUWXY", min_size=9, max_size=9))
def test_lowercase_is_rejected(division, org):
    code = complete("31" + division + org)
    messages(code.lower())


@given(division=digits, org=org_code, letter=st.sampled_from(FORBIDDEN), pos=st.integers(8, 17))
def test_letters_i_o_s_v_z_are_rejected(division, org, letter, pos):
    code = complete("31" + division + org)
    value = code[:pos] + letter + code[pos + 1 :]
    problem = credit_code_problem(value)
    assert problem is not None
    assert letter in problem
    messages(value)


@given(division=digits, org=org_code)
def test_full_width_digits_are_rejected(division, org):
    code = complete("31" + division + org)
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in code)
    assert full_width.startswith("３１")
    assert credit_code_problem(full_width) is not None
    messages(full_width)


@pytest.mark.parametrize("code", ["31110000E00000010L", "31540000E00012345M", "31650100E00001232N"])
def test_reference_examples_are_valid(code):
    assert credit_code_problem(code) is None
    validate_law_firm_credit_code(code)


def test_reference_invalid_example_names_the_expected_check_character():
    problem = credit_code_problem("31110000E000123456")
    assert problem is not None
    assert "E" in problem
    assert credit_code_check_character("31110000E00012345") == "E"
    messages("31110000E000123456")


def test_a_valid_code_of_another_kind_is_not_a_law_firm_code():
    code = complete("91110000MA0012345")
    assert credit_code_problem(code, law_firm=False) is None
    messages(code)
    CreditCodeValidator(law_firm=False)(code)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_error_message_names_the_field_in_the_active_language(language):
    with translation.override(language):
        field_name = str(LawFirm._meta.get_field("credit_code").verbose_name)
        [message] = messages("31110000E000123456")
    assert field_name.lower() in message.lower()


def test_error_message_in_english():
    with translation.override("en"):
        [message] = messages("31110000E000123456")
    assert message.startswith("Unified social credit code:")
    assert "expected E" in message
