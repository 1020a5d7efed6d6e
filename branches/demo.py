"""Demo data: the 46 branch offices opened in 2022 in no-lawyer counties of 西藏 (30), 青海,
四川, 黑龙江, 山西 and 甘肃, with 72 posted lawyers (about 1.6 a branch), service records,
support contracts and care visits. One branch becomes unstaffed within 30 days of the
demo's today, so the staffing-gap warning has something to show."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction

from core.audit import audit_context
from firms.identifiers import ALPHABET, credit_code_check_character
from firms.models import LawFirm
from lawyers.models import LawyerLicence
from pairing.demo import Builder
from regions.models import County, LawyerStatus, Province

from .models import (
    BranchOffice,
    CareVisit,
    ContractKind,
    Posting,
    PostingKind,
    ServiceKind,
    ServiceRecord,
    SupportContract,
)

NAMED_TIBETAN_COUNTIES = [
    "聂拉木县",
    "工布江达县",
    "普兰县",
    "隆子县",
    "嘉黎县",
    "南木林县",
    "洛扎县",
    "加查县",
]
# province → (branches, provinces whose firms open them)
PLAN = {
    "54": (30, ("11", "31", "44", "51")),
    "63": (5, ("12", "44")),
    "51": (4, ("33",)),
    "23": (3, ("11",)),
    "14": (2, ("11",)),
    "62": (2, ("12", "37")),
}


def _counties(code: str, n: int) -> list[County]:
    qs = County.objects.filter(province__code=code, valid_to__isnull=True, kind="县").order_by(
        "code"
    )
    chosen = []
    if code == "54":
        chosen = list(qs.filter(name__in=NAMED_TIBETAN_COUNTIES))
    chosen += list(qs.exclude(pk__in=[c.pk for c in chosen])[: n - len(chosen)])
    return chosen[:n]


@transaction.atomic
def load(*, today: dt.date) -> str:
    if BranchOffice.objects.exists():
        return "already loaded"
    rng = random.Random(2022)  # noqa: S311  (deterministic demo data, not security)
    b = Builder(rng, today)
    b.licence_seq = 500000  # clear of pairing.demo's numbers
    b.code_seq = 50000
    provinces = {p.code: p for p in Province.objects.all()}
    for code in {c for _n, parents in PLAN.values() for c in parents}:
        b.firms[code] = list(LawFirm.objects.filter(province__code=code).order_by("id"))
    with audit_context(source="demo"):
        branches = []
        for code, (n, parents) in PLAN.items():
            for i, county in enumerate(_counties(code, n)):
                parent = b.make_firms(parents[i % len(parents)], i // len(parents) + 1)[
                    i // len(parents)
                ]
                org = "B" + "".join(rng.choice(ALPHABET) for _ in range(3)) + f"{len(branches):05d}"
                first17 = f"31{county.code}{org}"
                established = dt.date(2022, rng.randint(3, 10), rng.randint(1, 28))
                branches.append(
                    BranchOffice(
                        name=f"{parent.name.removesuffix('律师事务所')}（{county.name}）分所",
                        parent_firm=parent,
                        county=county,
                        credit_code=first17 + credit_code_check_character(first17),
                        licence_no=f"3{county.code}2022{len(branches):04d}",
                        established_on=established,
                        minimum_staff=1,
                    )
                )
        BranchOffice.objects.bulk_create(branches)
        County.objects.filter(pk__in=[br.county_id for br in branches]).update(
            lawyer_status=LawyerStatus.BRANCH,
            was_no_lawyer=True,
            lawyer_status_since=dt.date(2022, 12, 31),
        )
        # 72 lawyers: two at each of the first 26 branches, one at the other 20
        specs = [(br, k) for i, br in enumerate(branches) for k in range(2 if i < 26 else 1)]
        lawyers = b.make_lawyers([(br.parent_firm, rng.randint(28, 50)) for br, _k in specs])
        postings, host_licences = [], []
        gap_branch = branches[-1]  # a one-lawyer branch whose posting ends in 20 days
        for (branch, k), lawyer in zip(specs, lawyers, strict=True):
            start = today - dt.timedelta(days=rng.randint(60, 500))
            # posted after the home licence was issued (it ends the day before)
            start = max(start, dt.date(lawyer.first_licence_year, 3, 1) + dt.timedelta(days=1))
            if branch is gap_branch:
                kind, end = PostingKind.ROTATION, today + dt.timedelta(days=20)
            elif k == 1:
                kind, end = PostingKind.ROTATION, today + dt.timedelta(days=rng.randint(90, 300))
            else:
                kind, end = PostingKind.RESIDENT, None
            postings.append(
                Posting(
                    lawyer=lawyer,
                    branch=branch,
                    kind=kind,
                    start_date=start,
                    end_date=end,
                    agreement_signed=True,
                    medical_passed=True,
                    licence_transferred=True,
                )
            )
            # the posted lawyer surrendered the home licence for one of the host region
            host_code = branch.county.province.code
            host_licences.append((lawyer, host_code, start))
        Posting.objects.bulk_create(postings)
        for lawyer, _host_code, start in host_licences:
            LawyerLicence.objects.filter(lawyer=lawyer, is_current=True).update(
                is_current=False, valid_to=start - dt.timedelta(days=1)
            )
        new_licences = []
        for lawyer, host_code, start in host_licences:
            number = b.licence_number(host_code, lawyer.first_licence_year, lawyer.gender)
            new_licences.append(
                LawyerLicence(
                    lawyer=lawyer,
                    number=number,
                    issuing_province=provinces[host_code],
                    valid_from=start,
                    city_code="01",
                    licensed_year=lawyer.first_licence_year,
                    category="1",
                    is_current=True,
                )
            )
            lawyer.current_licence_no, lawyer.province = number, provinces[host_code]
        LawyerLicence.objects.bulk_create(new_licences)
        type(lawyers[0]).objects.bulk_update(lawyers, ["current_licence_no", "province"])
        # a third lawyer still waiting for the medical check: does not count toward staffing
        waiting = b.make_lawyers([(branches[0].parent_firm, 31)])[0]
        Posting.objects.create(
            lawyer=waiting,
            branch=branches[0],
            kind=PostingKind.REASSIGNMENT,
            start_date=today + dt.timedelta(days=5),
            agreement_signed=True,
        )

        records = []
        for br in branches:
            for d in range(0, 180, 6):
                records.append(
                    ServiceRecord(
                        branch=br,
                        kind=rng.choice(ServiceKind.values),
                        served_on=today - dt.timedelta(days=d + rng.randint(0, 5)),
                        quantity=rng.randint(1, 4),
                    )
                )
        ServiceRecord.objects.bulk_create(records, batch_size=1000)
        SupportContract.objects.bulk_create(
            SupportContract(
                branch=br,
                kind=ContractKind.PROCURED_SERVICE if i % 2 else ContractKind.ADVISER,
                counterparty=f"{br.county.name}{'司法局' if i % 2 else '人民政府'}",
                amount=Decimal(rng.choice((50000, 80000, 120000, 200000))),
                start_date=dt.date(today.year, 1, 1),
                end_date=dt.date(today.year, 12, 31),
                funding_source="县级财政" if i % 2 else "政府购买服务专项资金",
            )
            for i, br in enumerate(branches)
        )
        CareVisit.objects.bulk_create(
            CareVisit(
                branch=br,
                visited_on=today - dt.timedelta(days=rng.randint(10, 200)),
                visitor_organisation=f"{br.county.province.name}司法厅"
                if br.county.province.code != "54"
                else "西藏自治区司法厅",
                visitors="分管副厅长、律师工作处负责人",
                notes="走访慰问派驻律师，了解工作生活困难。",
            )
            for br in branches
        )
    return f"{len(branches)} branch offices, {len(postings) + 1} postings, {len(records)} service records"
