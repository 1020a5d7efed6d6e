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


def test_settings_read_variables():
    assert {"DATABASE_URL", "SECRET_KEY", "REDIS_URL"} <= settings_variables()


def test_every_variable_is_in_env_example_and_readme():
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing_example = sorted(v for v in settings_variables() if f"\n{v}=" not in example)
    missing_readme = sorted(v for v in settings_variables() if f"`{v}`" not in readme)
    assert missing_example == []
    assert missing_readme == []
