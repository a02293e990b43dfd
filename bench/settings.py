"""Settings for the benchmarks: the test settings plus the peer model, on a file database."""

import os
import tempfile
from pathlib import Path

from config.settings_test import *  # noqa: F403
from config.settings_test import INSTALLED_APPS

_tmp = Path(os.environ.get("CAIJI_BENCH_DIR") or tempfile.mkdtemp(prefix="caiji-bench-"))
DATA_DIR = _tmp
MEDIA_ROOT = _tmp / "files"
INSTALLED_APPS = [*INSTALLED_APPS, "bench.peer.apps.PeerConfig"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _tmp / "bench.sqlite3",
        "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
    }
}
