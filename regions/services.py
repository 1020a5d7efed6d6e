"""Writes to reference data: the idempotent loader of provinces and counties."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .models import County, Province

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "regions"
PROVINCE_FIELDS = (
    "name",
    "short_name",
    "name_en",
    "region",
    "is_recipient",
    "is_corps",
    "in_gb2260",
)
COUNTY_FIELDS = ("name", "kind", "prefecture_code", "prefecture_name", "province_id", "is_corps")


@dataclass
class LoadReport:
    """What a load changed, per table."""

    created: dict[str, int] = field(default_factory=lambda: {"province": 0, "county": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"province": 0, "county": 0})
    deactivated: int = 0
    reactivated: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            sum(self.created.values())
            + sum(self.updated.values())
            + self.deactivated
            + self.reactivated
        )


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _bool(value: str) -> bool:
    return value.strip() in ("1", "true", "True", "yes")


@transaction.atomic
def load_regions(
    *,
    today: dt.date,
    provinces_csv: Path = FIXTURES / "provinces.csv",
    counties_csv: Path = FIXTURES / "counties.csv",
) -> LoadReport:
    """Upsert provinces and counties from the committed CSVs; set-based, idempotent.

    A county code missing from the file is deactivated (valid_to = today), never deleted;
    a code that comes back is reactivated. Lawyer-status fields are programme data and are
    never touched by the loader.
    """
    report = LoadReport()

    existing_p = {p.code: p for p in Province.objects.all()}
    new_p, changed_p = [], []
    for row in _read_csv(provinces_csv):
        values = {
            "name": row["name"],
            "short_name": row["short_name"],
            "name_en": row["name_en"],
            "region": row["region"],
            "is_recipient": _bool(row["is_recipient"]),
            "is_corps": _bool(row["is_corps"]),
            "in_gb2260": _bool(row["in_gb2260"]),
        }
        current = existing_p.get(row["code"])
        if current is None:
            province = Province(code=row["code"], **values)
            province.full_clean()
            new_p.append(province)
        elif any(getattr(current, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(current, k, v)
            changed_p.append(current)
    Province.objects.bulk_create(new_p)
    Province.objects.bulk_update(changed_p, PROVINCE_FIELDS)
    report.created["province"], report.updated["province"] = len(new_p), len(changed_p)

    province_ids = dict(Province.objects.values_list("code", "id"))
    existing_c = {c.code: c for c in County.objects.all()}
    seen: set[str] = set()
    new_c, changed_c = [], []
    for row in _read_csv(counties_csv):
        code = row["code"]
        seen.add(code)
        values = {
            "name": row["name"],
            "kind": row["kind"],
            "prefecture_code": row["prefecture_code"],
            "prefecture_name": row["prefecture_name"],
            "province_id": province_ids[row["province_code"]],
            "is_corps": _bool(row["is_corps"]),
        }
        current = existing_c.get(code)
        if current is None:
            new_c.append(County(code=code, **values))
            continue
        dirty = False
        if any(getattr(current, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(current, k, v)
            report.updated["county"] += 1
            dirty = True
        if current.valid_to is not None:
            current.valid_to = None
            report.reactivated += 1
            dirty = True
        if dirty:
            changed_c.append(current)
    County.objects.bulk_create(new_c, batch_size=1000)
    County.objects.bulk_update(changed_c, (*COUNTY_FIELDS, "valid_to"), batch_size=1000)
    report.created["county"] = len(new_c)
    report.deactivated = (
        County.objects.filter(valid_to__isnull=True).exclude(code__in=seen).update(valid_to=today)
    )
    return report


HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


@transaction.atomic
def load_calendar() -> int:
    """Seed CalendarDay from `chinese-calendar` (2004–2026). Rows already present — including
    staff corrections — are kept; returns how many were added."""
    import chinese_calendar
    from chinese_calendar import constants

    from .models import CalendarDay, DayKind

    version = getattr(chinese_calendar, "__version__", "")
    source = f"chinese-calendar {version}".strip()
    existing = set(CalendarDay.objects.values_list("date", flat=True))
    rows = [
        CalendarDay(
            date=day, kind=kind, name=HOLIDAY_NAMES.get(str(name), str(name)), source=source
        )
        for table, kind in (
            (constants.holidays, DayKind.HOLIDAY),
            (constants.workdays, DayKind.WORKDAY),
        )
        for day, name in table.items()
        if day not in existing
    ]
    CalendarDay.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
