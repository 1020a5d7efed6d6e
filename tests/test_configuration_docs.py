"""Every environment variable the settings read is documented in .env.example and README."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def settings_variables() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "config" / "settings").glob("*.py"):
        names |= set(re.findall(r'env(?:\.[a-z]+)?\(\s*"([A-Z_]+)"', path.read_text()))
    return names


def gunicorn_variables() -> set[str]:
    """The worker model's variables (config/gunicorn.py reads them, not the settings)."""
    text = (ROOT / "config" / "gunicorn.py").read_text()
    return set(re.findall(r'"(GUNICORN_[A-Z_]+)"', text))


def test_settings_read_variables():
    assert {"DATABASE_URL", "SECRET_KEY", "REDIS_URL"} <= settings_variables()


def test_every_variable_is_in_env_example_and_readme():
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    variables = settings_variables() | gunicorn_variables()
    assert {"GUNICORN_WORKERS", "GUNICORN_THREADS"} <= variables
    missing_example = sorted(v for v in variables if f"\n{v}=" not in example)
    missing_readme = sorted(v for v in variables if f"`{v}`" not in readme)
    assert missing_example == []
    assert missing_readme == []


def test_readme_speaks_of_the_project_not_of_who_measured():
    """A measurement is stated with its machine kind and date, never as "this session's VM"
    or "the sessions before" (issue 22, §5)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    personal = re.findall(
        r"[^.\n]*\b(?:this session|sessions? before|session's VM|this VM|our VM)\b[^.\n]*",
        readme,
        flags=re.IGNORECASE,
    )
    assert personal == []


def test_readme_import_speed_claims_name_the_step_machine_and_date():
    """The import target is claimed only for the step that meets it: a "rows/s" figure stands
    in a paragraph or table that names the machine kind and a date, and the clerk's whole path
    (upload + preview + apply) is reported beside the apply step (issue 22, §5)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "meet the speed target" not in readme
    status = readme[readme.index("**Spreadsheet import speed") : readme.index("## Two commands")]
    assert "python-svc" in status
    assert re.search(r"\b20\d\d-\d\d-\d\d\b", status)
    assert "upload + preview + apply" in status
    assert "apply step" in status
