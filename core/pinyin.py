"""Pinyin and initials for name search (`zs` finds 张三), via pypinyin.

pypinyin reads some polyphonic surnames wrongly (单 shan, 曾 zeng, 区 ou, 解 xie, 朴 piao,
覃 qin — REFERENCE.md), so person names get their surname read from this table.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import RE_HANS
from pypinyin.seg import mmseg

SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan",),
    "曾": ("zeng",),
    "区": ("ou",),
    "解": ("xie",),
    "朴": ("piao",),
    "覃": ("qin",),
    "仇": ("qiu",),
    "查": ("zha",),
    "盖": ("ge",),
    "缪": ("miao",),
    "尉迟": ("yu", "chi"),
    "万俟": ("mo", "qi"),
}


def _syllables(text: str, *, person: bool) -> tuple[str, ...]:
    return _cached_syllables(text.strip(), person)


# pypinyin's own character class of Han characters that have a reading (RE_HANS is
# "^(?:[...])+$"): runs of them, or runs of anything else.
_HAN_CLASS = RE_HANS.pattern.removeprefix("^(?:[").removesuffix("])+$")
_RUNS = re.compile(f"([{_HAN_CLASS}]+)|[^{_HAN_CLASS}]+")


def _segments(text: str) -> list[str]:
    """pypinyin's word segmentation (`pypinyin.seg.simpleseg.seg`), one regex pass instead
    of its per-character loop: Han runs cut by its forward maximum matching over the phrase
    dictionary, other runs kept whole (tested equal on random text)."""
    out: list[str] = []
    for match in _RUNS.finditer(text):
        if match.group(1):
            out.extend(mmseg.seg.cut(match.group(1)))
        else:
            out.append(match.group(0))
    return out


# name_pinyin and name_initials of the same name are computed together (services, bulk
# imports): the cache halves the pypinyin work.
@lru_cache(maxsize=8192)
def _cached_syllables(text: str, person: bool) -> tuple[str, ...]:
    head: list[str] = []
    if person:
        for surname in sorted(SURNAME_READINGS, key=len, reverse=True):
            if text.startswith(surname):
                head, text = list(SURNAME_READINGS[surname]), text[len(surname) :]
                break
    tail = [syllable for word in _segments(text) for syllable in _word_syllables(word)]
    return tuple(s for chunk in (*head, *tail) for s in chunk.split() if s)


# pypinyin reads each segment (word) of a text on its own, so caching by segment gives
# exactly its output; names share most words (律师, 事务所, city names), which makes bulk
# imports about 3.7x faster at this step. A segment without Han characters reads as itself
# (errors="default"), without asking pypinyin.
@lru_cache(maxsize=65536)
def _word_syllables(word: str) -> tuple[str, ...]:
    if not RE_HANS.match(word):
        return (word,)
    return tuple(lazy_pinyin(word, style=Style.NORMAL, errors="default"))


def name_pinyin(text: str, *, person: bool = False) -> str:
    """Full pinyin without tones or spaces, lower case: 张三 → zhangsan."""
    return "".join(_syllables(text, person=person)).lower()


def name_initials(text: str, *, person: bool = False) -> str:
    """Initial letters: 张三 → zs; 曾小明 → zxm (surname-aware for persons)."""
    return "".join(s[0] for s in _syllables(text, person=person) if s[0].isalnum()).lower()
