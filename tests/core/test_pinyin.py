"""Pinyin search columns: 张三 → zhangsan / zs, surnames read as surnames, and exactly
pypinyin's reading for everything else (our faster segmentation must not change it)."""

from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin

from core.pinyin import name_initials, name_pinyin

# Han characters with several readings and phrases pypinyin reads by word (银行 hang,
# 行长 zhang), mixed with Latin letters, digits, spaces, full-width brackets and 〇
ALPHABET = "湖南长沙律师事务所重庆单曾行长银行解区朴覃abcXYZ 0129（）-·〇ü\u3400"


def pypinyin_reading(text: str) -> str:
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors="default")
    return "".join(s for chunk in syllables for s in chunk.split()).lower()


def test_person_names_read_surnames_as_surnames():
    assert name_pinyin("张三", person=True) == "zhangsan"
    assert name_initials("张三", person=True) == "zs"
    assert name_initials("曾小明", person=True) == "zxm"  # not céng
    assert name_pinyin("单雄信", person=True).startswith("shan")  # not dān
    assert name_pinyin("尉迟恭", person=True).startswith("yuchi")


def test_firm_names_read_by_phrase():
    assert name_pinyin("湖南银行律师事务所") == "hunanyinhanglvshishiwusuo"
    assert name_initials("湖南银行律师事务所") == "hnyhlssws"
    assert name_initials("重庆（长沙）律师事务所") == "cqcslssws"  # brackets have no initial


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=1, max_size=16))
def test_organisation_names_read_exactly_as_pypinyin_reads_them(text):
    assert name_pinyin(text) == pypinyin_reading(text)
