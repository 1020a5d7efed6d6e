"""Pinyin and initials for name search (`zs` finds 张三), via pypinyin.

pypinyin reads some polyphonic surnames wrongly (单 shan, 曾 zeng, 区 ou, 解 xie, 朴 piao,
覃 qin — REFERENCE.md), so person names get their surname read from this table.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT, RE_HANS
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


# pypinyin's phrase dictionary and the prefixes of its phrases, as its segmenter holds
# them (both are updated in place when phrases are loaded and the segmenter retrained)
_PREFIXES = getattr(mmseg.seg._prefix_set, "_set", mmseg.seg._prefix_set)


def _cut(text: str) -> list[str]:
    """`list(pypinyin.seg.mmseg.seg.cut(text))` in one pass, without the generator and the
    re-slicing of the remaining text (tested equal on random text). pypinyin's segmenter
    is strict (`no_non_phrases`): at each position it extends the text while it is the
    prefix of some phrase and takes the longest phrase seen; without one, it takes one
    character — or, when the prefixes ran to the end of the text, every remaining
    character on its own."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        best = 0
        while j <= n:
            word = text[i:j]
            if word not in _PREFIXES:
                break
            if word in PHRASES_DICT:
                best = j
            j += 1
        if best:
            out.append(text[i:best])
            i = best
        elif j > n:
            out.extend(text[i:])
            break
        else:
            out.append(text[i])
            i += 1
    return out


def _segments(text: str) -> list[str]:
    """pypinyin's word segmentation (`pypinyin.seg.simpleseg.seg`), one regex pass instead
    of its per-character loop: Han runs cut by its forward maximum matching over the phrase
    dictionary, other runs kept whole (tested equal on random text)."""
    out: list[str] = []
    for match in _RUNS.finditer(text):
        run = match.group(1)
        if run:
            out.extend(_cut(run))
        else:
            out.append(match.group(0))
    return out


_SURNAMES_LONGEST_FIRST = sorted(SURNAME_READINGS, key=len, reverse=True)


# name_pinyin and name_initials of the same name are computed together (services, bulk
# imports): the cache halves the pypinyin work.
@lru_cache(maxsize=8192)
def _cached_syllables(text: str, person: bool) -> tuple[str, ...]:
    head: tuple[str, ...] = ()
    if person:
        for surname in _SURNAMES_LONGEST_FIRST:
            if text.startswith(surname):
                head = tuple(s for chunk in SURNAME_READINGS[surname] for s in chunk.split() if s)
                text = text[len(surname) :]
                break
    syllables = list(head)
    for word in _segments(text):
        syllables.extend(_word_syllables(word))
    return tuple(syllables)


# pypinyin reads each segment (word) of a text on its own, so caching by segment gives
# exactly its output; names share most words (律师, 事务所, city names), which makes bulk
# imports about 3.7x faster at this step. A segment without Han characters reads as itself
# (errors="default"), without asking pypinyin. Kept split on spaces, without empty parts.
@lru_cache(maxsize=65536)
def _word_syllables(word: str) -> tuple[str, ...]:
    if not RE_HANS.match(word):
        return tuple(s for s in word.split() if s)
    readings = lazy_pinyin(word, style=Style.NORMAL, errors="default")
    return tuple(s for chunk in readings for s in chunk.split() if s)


def name_pinyin(text: str, *, person: bool = False) -> str:
    """Full pinyin without tones or spaces, lower case: 张三 → zhangsan."""
    return "".join(_syllables(text, person=person)).lower()


def name_initials(text: str, *, person: bool = False) -> str:
    """Initial letters: 张三 → zs; 曾小明 → zxm (surname-aware for persons)."""
    return "".join(s[0] for s in _syllables(text, person=person) if s[0].isalnum()).lower()
