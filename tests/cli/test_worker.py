"""`ecrm worker` for real: a subprocess that consumes the queue and relays the outbox
until SIGTERM, then stops cleanly (exit 0)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import BROKER_URL, IN_CI


def _run_worker_until_ready(env: dict[str, str]) -> tuple[int, str]:
    proc = subprocess.Popen([sys.executable, "-m", "ecrm_cli", "worker"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line)
            if "ECRM worker running" in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while not ready.is_set() and proc.poll() is None and time.monotonic() < deadline:
            ready.wait(0.2)
        assert ready.is_set(), "".join(lines)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(5)
    return proc.returncode, "".join(lines)


def test_worker_runs_until_sigterm_with_the_embedded_queue(ecrm):
    ecrm("demo")
    code, output = _run_worker_until_ready({**os.environ, **ecrm.env})
    assert code == 0, output
    assert "ECRM_BROKER_URL is not set" in output  # it says a web process has one already
    assert "Worker stopped." in output and "Traceback" not in output


@pytest.mark.broker
def test_worker_runs_until_sigterm_on_redis(ecrm):
    if not BROKER_URL.startswith("redis"):
        if IN_CI:
            pytest.fail("CI must set ECRM_TEST_BROKER_URL to a redis:// URL")
        pytest.skip("Redis leg: set ECRM_TEST_BROKER_URL to a redis:// URL to run it")
    # A database index of its own, so this worker never takes the queue tests' messages.
    broker = urlunsplit(urlsplit(BROKER_URL)._replace(path="/13"))
    ecrm("db", "upgrade")
    code, output = _run_worker_until_ready({**os.environ, **ecrm.env, "ECRM_BROKER_URL": broker})
    assert code == 0, output
    assert "redis://" in output and "Worker stopped." in output and "Traceback" not in output


def test_worker_on_an_empty_database_points_at_init(ecrm):
    result = ecrm("worker", code=1)
    assert "ecrm init" in result.output
