"""Spreadsheet widgets for reference data: provinces and counties by their natural keys."""

from __future__ import annotations

import re
from typing import Any

from accounts.imports import NaturalKeyWidget

from .models import County, Province

# "湖南省" → "湖南", "广西壮族自治区" → "广西", "北京市" → "北京"
PROVINCE_SUFFIX = re.compile(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")


class ProvinceWidget(NaturalKeyWidget):
    """A province by its full name (湖南省), common name (湖南), short name (湘) or
    two-digit code (43; 66 for the Corps)."""

    def __init__(self) -> None:
        super().__init__(Province, "name", aliases=("code", "short_name"), prime_all=True)

    def prime(self, values: Any, user: Any) -> None:
        super().prime(values, user)
        if self.cache is None:  # prime() always fills it
            return
        for name, found in list(self.cache.items()):
            common = PROVINCE_SUFFIX.sub("", name)
            if common and common != name:
                self.cache.setdefault(common, found)


class CountyWidget(NaturalKeyWidget):
    """A county-level division by its six-digit code."""

    def __init__(self) -> None:
        super().__init__(County, "code")
