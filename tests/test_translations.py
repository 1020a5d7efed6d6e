"""Chinese first: every source string has a zh_Hans translation, and the compiled catalogue
matches the .po file (so nobody forgets `make messages`)."""

from pathlib import Path

import polib
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_message_is_translated_to_simplified_chinese():
    po = polib.pofile(str(LOCALE / "django.po"))
    untranslated = [e.msgid for e in po if not e.translated() and not e.obsolete]
    assert untranslated == []


def test_compiled_catalogue_matches_the_po_file():
    def text(entry):  # plural entries: Chinese has one form
        return entry.msgstr or (entry.msgstr_plural or {}).get(0, "")

    po = {e.msgid: text(e) for e in polib.pofile(str(LOCALE / "django.po")) if text(e)}
    mo = {e.msgid: text(e) for e in polib.mofile(str(LOCALE / "django.mo")) if e.msgid}
    assert mo == po
