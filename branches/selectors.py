"""Scoped and non-trivial reads about branch offices."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from .models import BranchOffice, Posting


@dataclass
class Coverage:
    """A branch's staffing over a date range: posted lawyers per day and the gap days."""

    branch_id: int
    minimum_staff: int
    staffed: dict[dt.date, int] = field(default_factory=dict)

    @property
    def gap_days(self) -> list[dt.date]:
        return [d for d, n in self.staffed.items() if n < self.minimum_staff]

    @property
    def first_gap(self) -> dt.date | None:
        gaps = self.gap_days
        return gaps[0] if gaps else None


def staffing_coverage(
    *, branches: Iterable[BranchOffice], start: dt.date, end: dt.date
) -> dict[int, Coverage]:
    """Per branch, how many lawyers with a complete dispatch checklist are posted on each
    day from `start` to `end` (inclusive), in one query for all the branches."""
    branches = list(branches)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    result = {b.pk: Coverage(b.pk, b.minimum_staff, dict.fromkeys(days, 0)) for b in branches}
    postings = (
        Posting.objects.filter(branch_id__in=result.keys(), checklist_complete=True)
        .filter(start_date__lte=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        .values_list("branch_id", "start_date", "end_date")
    )
    per_branch: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for branch_id, s, e in postings:
        per_branch[branch_id].append((s, e))
    for branch_id, spans in per_branch.items():
        staffed = result[branch_id].staffed
        for s, e in spans:
            first, last = max(s, start), min(e or end, end)
            d = first
            while d <= last:
                staffed[d] += 1
                d += dt.timedelta(days=1)
    return result


def branches_with_gap(
    *, queryset: Iterable[BranchOffice], today: dt.date, days: int = 30
) -> list[tuple[BranchOffice, dt.date]]:
    """Active branches whose staffing falls below their minimum within `days` days."""
    branches = list(queryset)
    coverage = staffing_coverage(
        branches=branches, start=today, end=today + dt.timedelta(days=days)
    )
    out = []
    for b in branches:
        gap = coverage[b.pk].first_gap
        if gap is not None:
            out.append((b, gap))
    return out
