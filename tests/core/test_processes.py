"""Background servers: a server that exited is not running, even before anyone reaps it."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from modlab.ops.processes import ManagedProcess, process_alive


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_an_exited_unreaped_server_counts_as_stopped(tmp_path):
    proc = ManagedProcess("quick", tmp_path)
    pid = proc.start([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while _state(pid) != "Z" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _state(pid) == "Z"  # exited; we started it and have not reaped it
    assert not process_alive(pid)
    assert proc.pid() is None
    proc.stop()
    assert not Path(f"/proc/{pid}").exists()  # stop() reaped it
    assert not proc.pid_file.exists()


def test_a_running_server_is_alive_until_stopped(tmp_path):
    proc = ManagedProcess("sleeper", tmp_path)
    pid = proc.start([sys.executable, "-c", "import time; time.sleep(60)"])
    assert process_alive(pid) and proc.pid() == pid
    assert proc.start([sys.executable, "-c", "pass"]) == pid  # already running: reused
    assert proc.stop() is True
    assert not process_alive(pid) and proc.pid() is None
    assert not process_alive(os.getpid() + 10**7)  # no such process
