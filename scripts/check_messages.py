"""Fail when a UI string in the code is missing or untranslated in locale/zh_Hans.

Runs Django's makemessages on a scratch copy of the project, so the tree is not touched.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = "locale/zh_Hans/LC_MESSAGES/django.po"
SKIP = {".venv", ".tools", "var", ".git", "node_modules", "test-artifacts"}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "caiji"
        shutil.copytree(ROOT, copy, ignore=lambda d, names: [n for n in names if n in SKIP])
        (copy / PO).unlink()
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location", "-v0"],
            cwd=copy,
            check=True,
            env={"DEBUG": "1", "PATH": "/usr/bin:/bin"},
        )
        extracted = {(e.msgctxt, e.msgid) for e in polib.pofile(str(copy / PO))}
    committed = {(e.msgctxt, e.msgid): e for e in polib.pofile(str(ROOT / PO))}
    missing = sorted(m for m in extracted if m not in committed or not committed[m].translated())
    for ctxt, msgid in missing:
        print(f"untranslated: {msgid!r}" + (f" (context {ctxt})" if ctxt else ""))
    if missing:
        print(
            f"{len(missing)} UI strings lack a Chinese translation: run `make messages` and translate."
        )
        return 1
    print(f"all {len(extracted)} UI strings are translated.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
