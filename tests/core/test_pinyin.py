"""Pinyin search columns: 张三 → zhangsan / zs, surnames read as surnames, and exactly
pypinyin's reading for everything else (our faster segmentation must not change it)."""

from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT
from pypinyin.seg import mmseg

from core.pinyin import _PREFIXES, _cut, name_initials, name_pinyin

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


# characters that start, continue and end phrases of pypinyin's dictionary (律师事务所,
# 中国人, 长沙, 银行, 行长 …) and others, so the cut meets every branch of the matching
@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet="律师事务所中国人长沙银行行长重庆湖南省市区县第一二三大学法院a1 ", max_size=24)
)
def test_the_cut_is_pypinyins_cut(text):
    assert _cut(text) == list(mmseg.seg.cut(text))


def test_the_cut_takes_single_characters_when_the_prefixes_run_out_at_the_end():
    # a text whose every prefix is a phrase prefix but none of them a phrase
    sample = next(
        p
        for p in sorted(_PREFIXES)
        if len(p) >= 2 and not any(p[:k] in PHRASES_DICT for k in range(1, len(p) + 1))
    )
    assert _cut(sample) == list(mmseg.seg.cut(sample)) == list(sample)
