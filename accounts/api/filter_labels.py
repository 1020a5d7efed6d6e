"""Chinese for the filter parameters' English labels (filters.py of every app), added to
the OpenAPI descriptions so each filter is documented in both languages."""

from __future__ import annotations

import re
from typing import Any

from django.utils import translation
from django.utils.functional import Promise

LABELS_ZH = {
    "Multiple values may be separated by commas.": "多个值以英文逗号分隔。",
    "NBS region": "国家统计局地区划分",
    "NBS region (either side)": "地区（任一方）",
    "achieved": "已达成",
    "agreement id": "协议 id",
    "any licence number the lawyer held": "律师曾持有的任一执业证号",
    "branch credit code": "分所统一社会信用代码",
    "branch id": "分所 id",
    "cohort year": "入选年度",
    "county code": "区县代码",
    "credit code of either firm": "任一律所的统一社会信用代码",
    "current licence number": "现执业证号",
    "dispatch checklist complete": "派驻手续齐全",
    "due year": "截止年度",
    "firm credit code": "律所统一社会信用代码",
    "has a progress report past due and not submitted": "有逾期未报的进展报告",
    "has the mentor's evaluation": "已有带教律师评价",
    "helper firm credit code": "帮扶律所统一社会信用代码",
    "helper firm's province code": "帮扶律所所在省份代码",
    "helper province code": "帮扶省份代码",
    "home province": "所在省份",
    "host firm credit code": "接收律所统一社会信用代码",
    "host firm's province code": "接收律所所在省份代码",
    "host province code": "接收省份代码",
    "in force on this day (start ≤ day ≤ end)": "在该日有效（开始 ≤ 该日 ≤ 结束）",
    "lawyer's current licence number": "律师现执业证号",
    "lawyer's licence number": "律师执业证号",
    "mentor's licence number": "带教律师执业证号",
    "national targets (no province)": "全国目标（不分省份）",
    "no end date": "无结束日期",
    "pairing id": "结对 id",
    "parent firm credit code": "总所统一社会信用代码",
    "past its due date and not submitted": "已过截止日期且未提交",
    "pinyin initials (zs)": "拼音首字母（如 zs）",
    "posted on this day (start ≤ day ≤ end)": "该日在岗（开始 ≤ 该日 ≤ 结束）",
    "province code": "省份代码",
    "province code (either side)": "省份代码（任一方）",
    "province code (host or source)": "省份代码（接收方或派出方）",
    "province code (of the current licence)": "省份代码（现执业证）",
    "province code of the branch's county": "分所所在区县的省份代码",
    "province code of the firm": "律所所在省份代码",
    "province code of the lawyer's registration": "律师执业登记省份代码",
    "province code of the parent firm": "总所所在省份代码",
    "province of a host firm of the trainee": "学员接收律所所在省份",
    "quota id": "名额 id",
    "recipient firm credit code": "受援律所统一社会信用代码",
    "recipient firm's province code": "受援律所所在省份代码",
    "recipient province code": "受援省份代码",
    "secondment id": "跟班学习 id",
    "signed off": "律协已确认",
    "source province code": "派出省份代码",
    "start year": "开始年度",
    "trainee id": "学员 id",
    "trainee's home province code": "学员所在省份代码",
    "trainee's licence number": "学员执业证号",
    "unread (not yet marked read)": "未读（尚未标记已读）",
    "year": "年度",
    "year established": "设立年度",
    "year held": "举办年度",
    "year of the figure": "数据年度",
    "year of the period": "报告期年度",
    "year signed": "签署年度",
    "in force (no end date)": "现行有效（无终止日期）",
}

HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
# DRF's own parameter texts, which reach the schema already translated
DRF_TEXTS = (
    "A page number within the paginated result set.",
    "Number of results to return per page.",
)


def _english_of(chinese: str) -> str | None:
    from django.utils.translation import gettext

    with translation.override("zh-hans"):
        for msgid in DRF_TEXTS:
            if gettext(msgid) == chinese:
                return msgid
    return None


def bilingual_parameters(result: dict[str, Any]) -> None:
    """Append the Chinese to every parameter description written in English only."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                raw = parameter.get("description", "")
                if isinstance(raw, Promise):  # DRF's own texts (page, page_size): lazy
                    with translation.override("en"):
                        english = str(raw)
                    with translation.override("zh-hans"):
                        chinese = str(raw)
                    if english != chinese:
                        parameter["description"] = f"{english} / {chinese}"
                        continue
                    raw = english
                text = str(raw)
                if HAN.search(text) and not LATIN.search(text):  # DRF's, translated already
                    english = _english_of(text)
                    if english:
                        parameter["description"] = f"{english} / {text}"
                    continue
                if text and not HAN.search(text):
                    parts = [LABELS_ZH.get(line.strip(), "") for line in text.split("\n")]
                    chinese = " ".join(p for p in parts if p)
                    if chinese:
                        parameter["description"] = f"{text} / {chinese}"


LOOKUPS = {
    "gte": ("at least", "不小于"),
    "lte": ("at most", "不大于"),
    "icontains": ("contains", "包含"),
    "startswith": ("starts with", "开头为"),
    "in": ("one of (comma-separated)", "其中之一（逗号分隔）"),
}


def _field_names() -> tuple[dict[str, tuple[str, str]], set[str]]:
    """Model field name -> (English, Chinese) verbose name, over the project's apps, and
    the names of date fields."""
    from django.apps import apps
    from django.db import models
    from django.utils import translation

    names: dict[str, tuple[str, str]] = {}
    dates: set[str] = set()
    for model in apps.get_models():
        if model._meta.app_label not in {
            "accounts",
            "regions",
            "firms",
            "lawyers",
            "pairing",
            "branches",
            "reminders",
        }:
            continue
        for field in model._meta.get_fields():
            verbose = getattr(field, "verbose_name", None)
            if not verbose or field.name in names:
                continue
            with translation.override("en"):
                en = str(verbose)
            with translation.override("zh-hans"):
                zh = str(verbose)
            names[field.name] = (en, zh)
            if isinstance(field, models.DateField | models.DateTimeField):
                dates.add(field.name)
    names["id"] = ("id", "记录 id")
    return names, dates


def describe_undocumented(result: dict[str, Any]) -> None:
    """Filters generated from Meta.fields have no description: name the field and the
    lookup in both languages."""
    names, dates = _field_names()
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("description"):
                    continue
                if parameter.get("in") == "path" and parameter["name"] == "id":
                    parameter["description"] = "The record's id / 记录 id"
                    continue
                if parameter.get("in") != "query":
                    continue
                base, _sep, lookup = parameter["name"].partition("__")
                if base not in names:
                    continue
                en, zh = names[base]
                if lookup in ("gte", "lte") and base in dates:
                    after = lookup == "gte"
                    en = f"{en} {'on or after' if after else 'on or before'}"
                    zh = f"{zh}{'不早于' if after else '不晚于'}"
                elif lookup in LOOKUPS:
                    en, zh = f"{en} {LOOKUPS[lookup][0]}", f"{zh}{LOOKUPS[lookup][1]}"
                elif lookup:
                    continue
                parameter["description"] = f"{en} / {zh}"
