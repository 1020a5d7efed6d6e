"""What the national dataset looks like: sizes at scale 1.0 and the distributions rows are
drawn from. Sources: ../shared/REFERENCE.md and the 2023-08-16 source document (seed/):
about 730,000 lawyers and 40,000 firms; the west 153,000 lawyers and 9,800 firms, 65.6% of
western firms under 10 lawyers; 60.4% of lawyers under 40; firm sizes nationally ≤10
lawyers 65.5%, 11–20 20.7%, 21–50 10.4%, 51–100 2.0%, >100 1.3%.
"""

from __future__ import annotations

import datetime as dt

VERSION = 1  # of the generator's output: a change of rows bumps it (markers compare it)

# --- sizes at scale 1.0 -------------------------------------------------------------------
LAWYERS = 731_000
FIRMS = 40_000
TRAINEES_PER_YEAR = 1_000  # 千名青年律师对口培养工程
PAIRINGS = 4_000  # 1对1 firm pairings over the programme years
BRANCHES = 800  # branch offices in counties that had no lawyer (bounded by western counties)
SERVICE_RECORDS = 2_000_000
NOTIFICATIONS = 600_000
PERSONAL_DATA_ACCESSES = 400_000
CLERKS_PER_ORGANISATION = 8  # users of each justice department and bar association
MINISTRY_USERS = 6
PARTNERS = 8  # partner systems' organisations

# Lawyers per province (thousands, end of 2023, rounded; only the proportions are used).
# West (15 45 50 51 52 53 54 61 62 63 64 65 66) = 153.
PROVINCE_WEIGHTS = {
    "11": 43, "12": 10, "13": 30, "14": 13, "15": 11, "21": 23, "22": 10, "23": 13,
    "31": 32, "32": 48, "33": 36, "34": 20, "35": 21, "36": 14, "37": 46, "41": 36,
    "42": 22, "43": 22, "44": 65, "45": 16, "46": 5, "50": 18, "51": 37, "52": 13,
    "53": 15, "54": 1, "61": 18, "62": 8, "63": 2, "64": 4, "65": 8, "66": 1,
}  # fmt: skip
# Western firms are smaller: 24.5% of firms (9,800 of 40,000) for 21% of lawyers.
WEST_FIRM_FACTOR = 1.17

# Firm sizes (declared lawyers): share, smallest, largest of each band.
FIRM_SIZE_BANDS = (
    (0.655, 1, 10),
    (0.207, 11, 20),
    (0.104, 21, 50),
    (0.020, 51, 100),
    (0.013, 101, 1_200),
)
# The west: as many small firms (65.6% with 10 lawyers or fewer) but a thinner tail of large
# ones, so that 24.5% of firms hold 21% of lawyers.
WEST_FIRM_SIZE_BANDS = (
    (0.656, 1, 10),
    (0.220, 11, 20),
    (0.104, 21, 50),
    (0.013, 51, 100),
    (0.007, 101, 1_200),
)
UNDER_40 = 0.604  # share of lawyers under 40 (at AS_OF)

# --- time ---------------------------------------------------------------------------------
YEARS = (2023, 2026)  # programme years (--years)


def as_of(last_year: int) -> dt.date:
    """The dataset's "today": records are dated up to it (later ones are planned). Fixed
    by the years asked for, so the same seed gives the same rows on any day."""
    return dt.date(last_year, 12, 1)


LOADED_AT = dt.datetime(2026, 12, 1, 4, 0, tzinfo=dt.UTC)  # created_at of reference rows
