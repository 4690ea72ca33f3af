"""Web latency of `ecrm serve` on SQLite: the login page and the personal page, beside a
trivial endpoint (/healthz) of the same server measured in the same run.

    .venv/bin/python benchmarks/web_latency.py [--requests 2000] [--concurrency 8]

What it does:
1. builds the demo database in a temporary folder (`ecrm demo`, SQLite);
2. starts `ecrm serve` on a free port of 127.0.0.1 (a subprocess: waitress, the
   embedded queue) and waits for /healthz;
3. signs in as the demo Director with a plain http.client / urllib client and a cookie
   jar: GET /login, take the CSRF token from the form, POST the form;
4. for GET /healthz, GET /login (anonymous, as a browser first sees it) and GET /me (the
   personal page, signed in) sends N requests from C threads, each thread on its own
   keep-alive connection, after a short warm-up; every answer must be 200;
5. prints the median and 95th percentile latency (ms) and requests/s of each, and the
   ratio of each page to /healthz. Then it stops the server and removes the folder.

Only 127.0.0.1 is ever contacted; the number of requests is bounded by the flags.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass

HOST = "127.0.0.1"


@dataclass
class Figures:
    name: str
    latencies_ms: list[float]
    wall_s: float
    errors: int

    @property
    def median(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[94]

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.wall_s


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def ecrm(*args: str) -> list[str]:
    return [sys.executable, "-m", "ecrm_cli", *args]


def wait_until_up(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"ecrm serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("ecrm serve did not answer /healthz in time")


def sign_in(base: str, login: str, password: str) -> str:
    """Sign in through the login form; returns the Cookie header of the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base}/login", timeout=10).read().decode("utf-8")
    match = re.search(r'name="csrf_token"\s+value="([^"]+)"', form)
    if match is None:
        raise SystemExit("no CSRF token in the login form")
    body = urllib.parse.urlencode(
        {"csrf_token": match.group(1), "login": login, "password": password}
    ).encode()
    with opener.open(f"{base}/login", data=body, timeout=10) as page:
        if page.status != 200 or not page.url.rstrip("/").endswith("/me"):
            raise SystemExit(f"signing in failed: {page.status} {page.url}")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def measure(name: str, port: int, path: str, headers: dict[str, str], requests: int,
            concurrency: int) -> Figures:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    left = [requests]

    def take() -> bool:
        with lock:
            if left[0] <= 0:
                return False
            left[0] -= 1
            return True

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        mine: list[float] = []
        failed = 0
        try:
            while take():
                start = time.perf_counter()
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    ok = response.status == 200
                except (OSError, http.client.HTTPException):
                    ok = False
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=30)
                elapsed = (time.perf_counter() - start) * 1000
                if ok:
                    mine.append(elapsed)
                else:
                    failed += 1
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)
                errors += failed

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if not latencies:
        raise SystemExit(f"{name}: every request failed")
    return Figures(name, latencies, wall, errors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", "-n", type=int, default=2000,
                        help="requests per endpoint (default 2000)")
    parser.add_argument("--concurrency", "-c", type=int, default=8,
                        help="client threads, each on its own keep-alive connection (default 8)")
    parser.add_argument("--threads", type=int, default=8,
                        help="waitress worker threads of `ecrm serve` (default 8)")
    parser.add_argument("--warmup", type=int, default=50,
                        help="requests per endpoint before measuring (default 50)")
    args = parser.parse_args(argv)
    if args.requests < 20 or args.concurrency < 1 or args.threads < 1 or args.warmup < 0:
        parser.error("--requests >= 20, --concurrency >= 1, --threads >= 1, --warmup >= 0")

    folder = tempfile.mkdtemp(prefix="ecrm-bench-")
    env = {**os.environ, "ECRM_DATA_DIR": folder,
           "ECRM_DATABASE_URL": f"sqlite:///{folder}/ecrm.db",
           "ECRM_SECRET_KEY": "benchmark", "ECRM_BROKER_URL": "", "ECRM_SMTP_HOST": ""}
    port = free_port()
    base = f"http://{HOST}:{port}"
    proc = None
    try:
        subprocess.run(ecrm("demo"), env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        from ecrm_adapters.demo import DEMO_LOGIN, DEMO_PASSWORD

        proc = subprocess.Popen(
            ecrm("serve", "--port", str(port), "--threads", str(args.threads)), env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until_up(base, proc)
        cookie = sign_in(base, DEMO_LOGIN, DEMO_PASSWORD)
        targets = [
            ("GET /healthz", "/healthz", {}),
            ("GET /login", "/login", {}),
            ("GET /me", "/me", {"Cookie": cookie}),
        ]
        results = []
        for name, path, headers in targets:
            if args.warmup:
                measure(name, port, path, headers, args.warmup, args.concurrency)
            results.append(measure(name, port, path, headers, args.requests,
                                   args.concurrency))
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(folder, ignore_errors=True)

    print(f"ECRM web latency: `ecrm serve` (waitress, {args.threads} threads) on SQLite with "
          f"the demo data; {args.requests} requests per endpoint from {args.concurrency} "
          "keep-alive client threads")
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; client and server on the same machine")
    print()
    baseline = results[0]
    header = (f"{'endpoint':<14}{'median ms':>10}{'p95 ms':>9}{'req/s':>9}"
              f"{'median/healthz':>16}{'req/s/healthz':>15}{'errors':>8}")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r.name:<14}{r.median:>10.2f}{r.p95:>9.2f}{r.rps:>9.0f}"
              f"{r.median / baseline.median:>16.2f}{r.rps / baseline.rps:>15.2f}{r.errors:>8}")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
