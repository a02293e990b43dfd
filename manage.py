#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError, ProgrammingError

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A setting that is wrong or missing: one line that says which, not a traceback.
        sys.exit(f"caiji: {exc}")
    except (OperationalError, ProgrammingError) as exc:
        if "no such table" not in str(exc) and "does not exist" not in str(exc):
            raise
        sys.exit(
            "caiji: the database has no tables yet: run `make run` once, or "
            "`.venv/bin/python manage.py migrate` (数据库尚未建立，请先运行 make run)."
        )


if __name__ == "__main__":
    main()
