from collections import Counter
from pathlib import Path

import pytest

from regions.models import County, Province, Region
from regions.services import load_regions
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db


def test_loader_creates_32_provincial_units_with_correct_codes_and_regions(regions):
    assert Province.objects.count() == 32
    by_region = Counter(Province.objects.values_list("region", flat=True))
    assert by_region == {Region.EAST: 10, Region.CENTRAL: 6, Region.WEST: 13, Region.NORTHEAST: 3}
    corps = Province.objects.get(code="66")
    assert corps.is_corps
    assert not corps.in_gb2260
    assert corps.is_recipient
    assert Province.objects.filter(is_recipient=True).count() == 13
    assert Province.objects.get(code="54").name == "西藏自治区"
    assert Province.objects.get(code="23").region == Region.NORTHEAST


def test_loader_creates_every_county_with_74_in_tibet(regions):
    assert County.objects.count() >= 2800
    assert County.objects.filter(province__code="54").count() == 74
    assert not County.objects.exclude(code__regex=r"^[0-9]{6}$").exists()
    corps_cities = County.objects.filter(is_corps=True)
    assert corps_cities.count() == 13
    assert set(corps_cities.values_list("province__code", flat=True)) == {"65"}


def test_running_the_loader_twice_changes_nothing(regions):
    before = list(County.objects.order_by("code").values_list("code", "name", "updated_at"))
    report = load_regions(today=TODAY)
    assert not report.changed
    after = list(County.objects.order_by("code").values_list("code", "name", "updated_at"))
    assert before == after


def test_a_retired_code_is_deactivated_not_deleted_and_comes_back(regions, tmp_path):
    source = (
        Path(County._meta.apps.get_app_config("regions").path).parent
        / "fixtures/regions/counties.csv"
    )
    lines = source.read_text(encoding="utf-8").splitlines()
    retired = lines[1].split(",")[0]
    trimmed = tmp_path / "counties.csv"
    trimmed.write_text("\n".join([lines[0], *lines[2:]]) + "\n", encoding="utf-8")

    report = load_regions(today=TODAY, counties_csv=trimmed)

    county = County.objects.get(code=retired)
    assert report.deactivated == 1
    assert county.valid_to == TODAY
    report = load_regions(today=TODAY)
    county.refresh_from_db()
    assert report.reactivated == 1
    assert county.valid_to is None
