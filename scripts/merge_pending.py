"""Fill empty translations in locale/zh_Hans from locale/pending/*.json ({msgid: 中文}).

Helpers writing new modules leave their translations there; `make messages` then this script
merges them, after which the pending files can go.
"""

import json
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def main() -> None:
    pending: dict[str, str] = {}
    for path in sorted((ROOT / "locale" / "pending").glob("*.json")):
        pending.update(json.loads(path.read_text(encoding="utf-8")))
    po = polib.pofile(str(PO))
    filled = 0
    for entry in po:
        if entry.msgid in pending and (not entry.msgstr or "fuzzy" in entry.flags):
            entry.msgstr = pending[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            filled += 1
    po.save()
    print(f"filled {filled} translations; {len(po.untranslated_entries())} still untranslated")


if __name__ == "__main__":
    main()
