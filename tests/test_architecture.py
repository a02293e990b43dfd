"""Imports go one way: review → collection → accounts (docs/architecture.md)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"accounts": {"collection", "review"}, "collection": {"review"}}


def imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_imports_follow_the_layering():
    wrong = []
    for app, forbidden in FORBIDDEN.items():
        for path in (ROOT / app).rglob("*.py"):
            if bad := imported_apps(path) & forbidden:
                wrong.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert wrong == []


def test_the_plain_python_core_never_touches_the_orm():
    core = [
        ROOT / "collection" / "schema.py",
        *(ROOT / "collection" / "excel").glob("*.py"),
        *(ROOT / "collection" / "validation").glob("*.py"),
    ]
    wrong = [
        str(p.relative_to(ROOT))
        for p in core
        if any(m in imported_apps(p) for m in ("accounts",)) or "django.db" in p.read_text()
    ]
    assert wrong == []
