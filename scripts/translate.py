"""Fill zh_Hans translations from locale/zh_Hans/glossary.tsv (msgid<TAB>msgstr).

Workflow (`make messages`): makemessages → this script → compilemessages. The glossary is
the reviewed list of translations; the script reports msgids that still lack one.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
GLOSSARY = ROOT / "locale" / "zh_Hans" / "glossary.tsv"


def load_glossary() -> dict[str, str]:
    out = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        msgid, msgstr = line.split("\t", 1)
        out[msgid.replace("\\n", "\n")] = msgstr.replace("\\n", "\n")
    return out


def main() -> int:
    glossary = load_glossary()
    po = polib.pofile(str(PO))
    missing = []
    for entry in po:
        if entry.msgid in glossary and entry.msgid_plural:
            entry.msgstr_plural = {0: glossary[entry.msgid]}  # Chinese: one plural form
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif entry.msgid in glossary:
            entry.msgstr = glossary[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif (not entry.msgstr and not any(entry.msgstr_plural.values())) or "fuzzy" in entry.flags:
            missing.append(entry.msgid)
    po.metadata["Language"] = "zh_Hans"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.save()
    for m in missing:
        print(f"untranslated: {m!r}")
    return 1 if missing and "--strict" in sys.argv else 0


if __name__ == "__main__":
    sys.exit(main())
