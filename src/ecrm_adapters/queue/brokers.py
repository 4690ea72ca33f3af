"""Broker set-up from ``Settings.broker_url`` (``ECRM_BROKER_URL``).

``""`` means the embedded default: a dramatiq ``StubBroker`` living in this process,
consumed by an in-process worker. ``redis://`` / ``rediss://`` select Redis and
``amqp://`` / ``amqps://`` RabbitMQ; then separate ``ecrm worker`` processes consume.

A broker is only ever built by calling ``make_broker``; building one opens no
connection (Redis and RabbitMQ connect on first use), so a system can be bootstrapped
while its broker is down — the outbox keeps the events until it is back.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import dramatiq
from dramatiq.brokers.stub import StubBroker

#: Seconds to wait for a TCP connection to the broker. Short on purpose: the relay
#: holds its outbox transaction while it publishes, so a dead broker must fail fast.
CONNECT_TIMEOUT = 5
#: Seconds to wait for a broker's reply once connected.
SOCKET_TIMEOUT = 10
#: RabbitMQ may block publishers (memory or disk alarm); give up after this long.
BLOCKED_TIMEOUT = 30

REDIS_SCHEMES = ("redis", "rediss", "unix")
AMQP_SCHEMES = ("amqp", "amqps")


def is_embedded(broker_url: str) -> bool:
    """No broker URL: the in-process queue."""
    return not (broker_url or "").strip()


def make_broker(broker_url: str = "", *, namespace: str = "ecrm") -> dramatiq.Broker:
    """The dramatiq broker for ``broker_url``. ``namespace`` prefixes Redis keys (so
    several installations, or test runs, can share one Redis)."""
    url = (broker_url or "").strip()
    if not url:
        return StubBroker(fail_fast_default=False)
    scheme = urlsplit(url).scheme.lower()
    if scheme in REDIS_SCHEMES:
        return _redis_broker(url, namespace)
    if scheme in AMQP_SCHEMES:
        return _rabbitmq_broker(url)
    raise ValueError(
        f"ECRM_BROKER_URL: unsupported scheme {scheme!r}; leave it empty for the embedded "
        "queue, or give a redis://host:6379/0 or amqp://user:password@host:5672/ URL"
    )


def _redis_broker(url: str, namespace: str) -> dramatiq.Broker:
    import redis
    from dramatiq.brokers.redis import RedisBroker
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # Options given in the URL's query string win over these defaults. One immediate
    # retry replaces a pooled connection that died with a restarted server; longer
    # outages are the relay's business (it tries again on its next pass).
    pool = redis.ConnectionPool.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=SOCKET_TIMEOUT,
        health_check_interval=30, retry=Retry(NoBackoff(), 1),
    )
    client = redis.Redis(connection_pool=pool)
    return RedisBroker(client=client, namespace=namespace)


def _rabbitmq_broker(url: str) -> dramatiq.Broker:
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.setdefault("socket_timeout", str(CONNECT_TIMEOUT))
    query.setdefault("blocked_connection_timeout", str(BLOCKED_TIMEOUT))
    url = urlunsplit(parts._replace(query=urlencode(query)))
    # Publisher confirms: enqueue returns only once RabbitMQ has taken the message, so
    # the relay marks an outbox row published only when it really is.
    return RabbitmqBroker(url=url, confirm_delivery=True)
