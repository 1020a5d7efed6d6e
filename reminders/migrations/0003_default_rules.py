"""Default reminder rules (one per kind of deadline); ministry staff edit them in the
admin. Data only: reversible (removes the defaults it created, by name)."""

from django.db import migrations

DEFAULT_RULES = [
    # name, kind, offset, offset_unit, repeat_every, max_repeats, escalate_after, recipients
    ("进展报告到期提醒", "report_due", -5, "working", 0, 0, 0, ["pairing_bars", "pairing_firms"]),
    (
        "进展报告逾期催报",
        "report_overdue",
        1,
        "working",
        5,
        6,
        10,
        ["pairing_bars", "pairing_firms"],
    ),
    (
        "跟班学习即将开始",
        "secondment_starting",
        -5,
        "working",
        0,
        0,
        0,
        ["host_firm", "mentor", "home_bar"],
    ),
    ("带教评价到期提醒", "evaluation_due", -3, "working", 0, 0, 0, ["mentor", "host_department"]),
    (
        "带教评价逾期催办",
        "evaluation_overdue",
        1,
        "working",
        5,
        4,
        10,
        ["mentor", "host_department"],
    ),
    (
        "分所人员缺口预警",
        "staffing_gap",
        0,
        "working",
        0,
        0,
        5,
        ["branch_firm", "province_bar", "province_department"],
    ),
    (
        "派驻期满无人接替",
        "posting_ending",
        -20,
        "working",
        0,
        0,
        0,
        ["branch_firm", "province_bar"],
    ),
    ("对口协议即将到期", "agreement_ending", -30, "calendar", 0, 0, 0, ["province_department"]),
    (
        "年度名额尚未用完",
        "quota_unfilled",
        -20,
        "working",
        0,
        0,
        0,
        ["province_department", "province_bar"],
    ),
]


def create(apps, schema_editor):
    ReminderRule = apps.get_model("reminders", "ReminderRule")
    for name, kind, offset, unit, every, repeats, escalate, recipients in DEFAULT_RULES:
        ReminderRule.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "offset": offset,
                "offset_unit": unit,
                "repeat_every": every,
                "repeat_unit": "working",
                "max_repeats": repeats,
                "escalate_after": escalate,
                "recipients": recipients,
                "horizon_days": 30,
            },
        )


def remove(apps, schema_editor):
    ReminderRule = apps.get_model("reminders", "ReminderRule")
    ReminderRule.objects.filter(
        name__in=[r[0] for r in DEFAULT_RULES], notifications__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("reminders", "0002_rules_and_outside_recipients")]

    operations = [migrations.RunPython(create, remove)]
