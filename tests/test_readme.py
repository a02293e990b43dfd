"""Every command block of the README, run exactly as written on a fresh copy of the project in a
clean environment (no variable but PATH and HOME), the way a new user meets caiji.

``make run`` is started first (it migrates, seeds the demo college and serves it; the test waits
for the sign-in page and the printed logins, then stops it); the other commands follow in the
README's order, each with the exit code its comment names (``exit N``; 0 when none). ``make test``
is this suite itself and is not run from inside it. The copy shares the checkout's virtualenv
(the lock file's, unchanged), so nothing is downloaded.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```sh\n(.*?)```", re.S)
EXIT = re.compile(r"exit (\d)")
NOT_FROM_INSIDE = {"make test"}  # the suite that runs this test
SERVED = "http://127.0.0.1:8000/"


def readme_commands() -> list[tuple[str, int]]:
    """(command, expected exit code) of every line of the README's ```sh blocks."""
    found = []
    for block in BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8")):
        for line in block.splitlines():
            parts = re.split(r"\s+#", line, maxsplit=1)
            command, comment = parts[0].strip(), parts[1] if len(parts) > 1 else ""
            if command:
                code = EXIT.search(comment)
                found.append((command, int(code.group(1)) if code else 0))
    return found


def fresh_copy(target: Path) -> Path:
    """The project's files as a clone would have them (tracked and new, not ignored), with
    their times kept so that make sees the shared virtualenv as up to date."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    for shared in (".venv", ".tools"):
        (target / shared).symlink_to(ROOT / shared)
    return target


def clean_env(home: Path) -> dict[str, str]:
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}


def serve(copy: Path, env: dict[str, str], command: str) -> str:
    """Run ``make run`` until the demo answers; return what it printed."""
    log = copy / "make-run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            shell=True,
            cwd=copy,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            printed = log.read_text(encoding="utf-8", errors="replace")
            if process.poll() is not None:
                pytest.fail(f"{command} stopped ({process.returncode}):\n{printed}")
            try:
                with urllib.request.urlopen(SERVED + "accounts/login/", timeout=2) as page:
                    if page.status == 200 and "caiji is running" in printed:
                        return printed
            except OSError:
                pass
            time.sleep(1)
        pytest.fail(f"{command}: nothing answered at {SERVED} in 300 s:\n{printed}")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    return ""


@pytest.mark.timeout(900)
def test_every_readme_command_works_as_written(tmp_path):
    commands = readme_commands()
    assert ("make run", 0) in commands and len(commands) >= 5
    try:
        urllib.request.urlopen(SERVED, timeout=1)
        pytest.fail(f"something already answers at {SERVED}: stop it to run this test")
    except OSError:
        pass
    copy = fresh_copy(tmp_path / "caiji")
    env = clean_env(tmp_path)
    printed = serve(copy, env, "make run")
    assert "101206" in printed and "Caiji@2026" in printed  # the demo logins
    assert SERVED in printed
    for command, code in commands:
        if command in NOT_FROM_INSIDE or command == "make run":
            continue
        done = subprocess.run(
            command, shell=True, cwd=copy, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == code, f"{command}: exit {done.returncode}\n{done.stderr}"
        assert "Traceback" not in done.stderr, f"{command}:\n{done.stderr}"
