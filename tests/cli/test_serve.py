"""`ecrm serve` for real: a subprocess on a free port, a demo database, GET /healthz.
The web face is found through the `ecrm.faces` entry point (the CLI does not import it).
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from ecrm_adapters import demo


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def test_serve_answers_healthz_and_prints_the_demo_login(ecrm):
    ecrm("demo")
    port = _free_port()
    env = {**os.environ, **ecrm.env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecrm_cli", "serve", "--port", str(port), "--threads", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        status = body = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200, proc.stderr.read() if proc.poll() is not None else "no answer"
        assert b'"ok"' in body
        # the demo login works through the real server: login form (CSRF) -> personal page
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        form = opener.open(f"{base}/login", timeout=10).read().decode()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        fields = {"csrf_token": csrf, "login": "director", "password": demo.DEMO_PASSWORD}
        with opener.open(f"{base}/login", data=urllib.parse.urlencode(fields).encode(),
                         timeout=10) as page:
            # AUTH-2: after login the counterparties page, with the demo client base
            assert page.status == 200 and page.url.endswith("/counterparties")
            assert "Соколов Андрей Викторович" in page.read().decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert f"http://127.0.0.1:{port}/" in out
    assert f"Demo login: director  Password: {demo.DEMO_PASSWORD}" in out
    assert "Traceback" not in err


def test_serve_refuses_a_port_in_use(ecrm):
    ecrm("db", "upgrade")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = ecrm("serve", "--port", str(port), code=1)
    assert result.output.startswith(f"Error: cannot listen on 127.0.0.1:{port}")


def test_serve_rejects_a_bad_port(ecrm):
    result = ecrm("serve", "--port", "70000", code=2)
    assert "--port" in result.output
