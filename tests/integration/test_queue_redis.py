"""The queue on Redis (issue 2 acceptance): an event committed while the broker is down
is delivered after the broker returns; a handler run twice has one effect.

Runs when ECRM_TEST_BROKER_URL is a redis:// URL (CI sets it; locally the tests skip with
a message). The outage test starts its own ``redis-server`` on a free port so that it can
stop and restart it; the other test uses the shared Redis under a namespace of its own."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid

import pytest
import redis

from ecrm_adapters.queue import QUEUE, attach_queue, run_worker
from ecrm_adapters.queue.brokers import make_broker
from tests.conftest import make_system
from tests.integration.test_mail_smtp import free_port, running_mailbox
from tests.integration.test_queue_relay import (
    IN_CI,
    Processed,
    handled_keys,
    need_env,
    outbox_rows,
    staff,
    unpublish,
    wait_until,
)

pytestmark = pytest.mark.broker


@pytest.fixture
def redis_url() -> str:
    url = need_env("ECRM_TEST_BROKER_URL", "Redis leg of the queue tests")
    if not url.startswith(("redis://", "rediss://")):
        pytest.skip(f"ECRM_TEST_BROKER_URL is not a Redis URL: {url}")
    return url


@pytest.fixture
def mailbox():
    with running_mailbox() as box:
        yield box


class RedisServer:
    """A throw-away redis-server (no persistence) that the test can stop and restart."""

    def __init__(self, binary: str, port: int, folder) -> None:
        self.binary, self.port, self.folder = binary, port, folder
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        try:
            wait_until(lambda: self._ping(client), timeout=10, interval=0.05,
                       what="redis-server to accept connections")
        finally:
            client.close()

    def _ping(self, client) -> bool:
        assert self.proc.poll() is None, "redis-server exited"
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@pytest.fixture
def own_redis(redis_url, tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        if IN_CI:
            pytest.fail("CI needs the redis-server command for the broker-outage test")
        pytest.skip("broker-outage test: the redis-server command is not installed")
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(binary, free_port(), folder)
    server.start()
    yield server
    server.stop()


def test_an_event_committed_while_redis_is_down_is_delivered_after_it_returns(
        own_redis, sqlite_url, tmp_path, mailbox):
    settings = {**mailbox.smtp_settings(), "broker_url": own_redis.url, "relay_interval": 0.1}
    web = make_system(sqlite_url, tmp_path / "web", settings=settings)
    worker_system = make_system(sqlite_url, tmp_path / "worker", settings=settings)
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(worker_system, stop), daemon=True)
    try:
        director, anna, _ = staff(web)
        web.start_embedded_queue()  # with a broker URL: the relay only
        assert not web.queue.embedded and web.queue.worker is None

        own_redis.stop()
        message = web.app.messages.send(
            director.id, {"recipient_id": anna.id, "text": "Пока Redis лежал"})  # commits
        wait_until(lambda: outbox_rows(web)[0].attempts >= 1, what="a failed relay attempt")
        [row] = outbox_rows(web)
        assert row.published_at is None
        assert "Connection" in row.last_error

        own_redis.start()  # the same port
        worker.start()  # `ecrm worker`: consumes Redis and relays too
        [got] = mailbox.wait_for(1, timeout=20)
        assert got.message["To"] == "anna@example.ru"
        assert got.message["Subject"] == "ECRM: Уведомление"
        assert "Пока Redis лежал" in got.message.get_content()

        wait_until(lambda: outbox_rows(web)[0].published_at, what="the row to be published")
        worker_system.queue.broker.join(QUEUE, timeout=10_000)
        assert handled_keys(web) == [f"outbox:{row.id}"]
        assert web.app.messages.get(anna.id, message.id).emailed_at is not None
        time.sleep(0.3)  # a few more relay passes: nothing is sent again
        assert len(mailbox.received) == 1
    finally:
        stop.set()
        if worker.is_alive():
            worker.join(15)
        web.close()
        worker_system.close()


@pytest.fixture
def namespaced_broker(redis_url):
    namespace = f"ecrm-test-{uuid.uuid4().hex[:12]}"
    broker = make_broker(redis_url, namespace=namespace)
    yield broker
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(f"{namespace}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def test_a_handler_run_twice_on_redis_has_one_effect(
        namespaced_broker, sqlite_url, tmp_path, mailbox):
    system = make_system(sqlite_url, tmp_path, settings=mailbox.smtp_settings())
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(system, stop), daemon=True)
    try:
        runtime = attach_queue(system, broker=namespaced_broker, interval=0.1)
        processed = Processed()
        runtime.broker.add_middleware(processed)
        director, anna, _ = staff(system)
        system.app.messages.send(director.id, {"recipient_id": anna.id, "text": "Дважды"})
        [row] = outbox_rows(system)
        # The relay sends the row, "crashes" before marking it, and sends it again: two
        # copies with the same message id wait in Redis before any worker runs.
        assert runtime.relay.relay_once() == 1
        unpublish(system, row.id)
        assert runtime.relay.relay_once() == 1

        worker.start()
        wait_until(lambda: len(processed.done) >= 2, timeout=20, what="both deliveries")
        runtime.broker.join(QUEUE, timeout=10_000)
        assert processed.done == [(f"outbox-{row.id}", None)] * 2
        assert len(mailbox.wait_for(1)) == 1
        assert handled_keys(system) == [f"outbox:{row.id}"]
    finally:
        stop.set()
        if worker.is_alive():
            worker.join(15)
        system.close()
