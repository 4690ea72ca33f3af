"""The queue on RabbitMQ: a system message goes outbox -> relay -> RabbitMQ -> ``ecrm
worker`` -> SMTP; a handler run twice has one effect.

Runs when ECRM_TEST_AMQP_URL is set (e.g. amqp://guest:guest@127.0.0.1:5672/); skips
locally with a message when it is not, fails in CI. Each test uses queues of its own,
deleted afterwards."""

from __future__ import annotations

import threading
import uuid

import pika
import pytest
from dramatiq.common import dq_name, xq_name

from ecrm_adapters.queue import attach_queue, run_worker
from ecrm_adapters.queue.brokers import make_broker
from tests.conftest import make_system
from tests.integration.test_mail_smtp import running_mailbox
from tests.integration.test_queue_relay import (
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
def amqp_url() -> str:
    return need_env("ECRM_TEST_AMQP_URL", "RabbitMQ leg of the queue tests")


@pytest.fixture
def mailbox():
    with running_mailbox() as box:
        yield box


@pytest.fixture
def rabbit(amqp_url, sqlite_url, tmp_path, mailbox):
    """A system whose queue is a RabbitMQ queue of its own, and a worker to run."""
    queue_name = f"ecrm_test_{uuid.uuid4().hex[:12]}"
    system = make_system(sqlite_url, tmp_path,
                         settings={**mailbox.smtp_settings(), "broker_url": amqp_url})
    runtime = attach_queue(system, broker=make_broker(amqp_url), queue_name=queue_name,
                           interval=0.1)
    processed = Processed()
    runtime.broker.add_middleware(processed)
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(system, stop), daemon=True)
    yield system, runtime, processed, worker
    stop.set()
    if worker.is_alive():
        worker.join(15)
    system.close()
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        for name in (queue_name, dq_name(queue_name), xq_name(queue_name)):
            channel.queue_delete(name)
    finally:
        connection.close()


def test_a_system_message_travels_through_rabbitmq_to_smtp(rabbit, mailbox):
    system, runtime, processed, worker = rabbit
    director, anna, _ = staff(system)
    worker.start()
    wait_until(lambda: runtime.worker is not None, what="the worker")
    message = system.app.messages.send(
        director.id, {"recipient_id": anna.id, "text": "Через RabbitMQ"})
    [got] = mailbox.wait_for(1, timeout=20)
    assert got.message["To"] == "anna@example.ru"
    assert got.message["Subject"] == "ECRM: Уведомление"
    assert "Через RabbitMQ" in got.message.get_content()
    [row] = outbox_rows(system)
    wait_until(lambda: handled_keys(system) == [f"outbox:{row.id}"], what="the handled key")
    # the actor notes the message as e-mailed after the send, then returns
    wait_until(lambda: processed.done, what="the worker to finish the message")
    assert processed.done == [(f"outbox-{row.id}", None)]
    assert system.app.messages.get(anna.id, message.id).emailed_at is not None


def test_a_handler_run_twice_on_rabbitmq_has_one_effect(rabbit, mailbox):
    system, runtime, processed, worker = rabbit
    director, anna, _ = staff(system)
    system.app.messages.send(director.id, {"recipient_id": anna.id, "text": "Дважды"})
    [row] = outbox_rows(system)
    assert runtime.relay.relay_once() == 1
    unpublish(system, row.id)
    assert runtime.relay.relay_once() == 1  # two copies, one message id

    worker.start()
    wait_until(lambda: len(processed.done) >= 2, timeout=20, what="both deliveries")
    assert processed.done == [(f"outbox-{row.id}", None)] * 2
    assert len(mailbox.wait_for(1)) == 1
    assert handled_keys(system) == [f"outbox:{row.id}"]
