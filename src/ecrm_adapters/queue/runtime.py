"""The queue at run time: ``system.queue``.

- ``QueueRuntime.start()`` runs the outbox relay loop in a thread (a pass every
  ``ECRM_RELAY_INTERVAL`` seconds, and at once after a commit that wrote an outbox row)
  and, for the embedded default, an in-process dramatiq worker consuming the queue. The
  same loop looks at the periodic jobs once a minute (``schedule.Scheduler``).
- ``System.start_embedded_queue()`` (bootstrap) starts it beside a web process: relay +
  in-process worker without ``ECRM_BROKER_URL``; the relay alone with Redis/RabbitMQ,
  where separate ``ecrm worker`` processes (``run_worker``) consume.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.errors import QueueJoinTimeout

from ecrm_adapters.queue.actors import QUEUE, ROUTES, Route, register_actors
from ecrm_adapters.queue.brokers import make_broker
from ecrm_adapters.queue.relay import OutboxRelay
from ecrm_adapters.queue.schedule import Scheduler, periodic_jobs

if TYPE_CHECKING:
    from ecrm_adapters.bootstrap import System

log = logging.getLogger(__name__)

#: Outbox rows per relay pass (a pass repeats while it finds full batches).
BATCH = 100
#: Worker threads of the in-process worker beside a web server.
EMBEDDED_THREADS = 2
#: Worker threads of an ``ecrm worker`` process.
WORKER_THREADS = 4
#: Milliseconds an idle consumer or worker thread waits before looking again; bounds
#: how long stopping takes. In-process polling is cheap; a remote broker is asked less.
EMBEDDED_TIMEOUT_MS = 100
WORKER_TIMEOUT_MS = 500


class QueueRuntime:
    """The relay loop and, optionally, an in-process worker for one system."""

    def __init__(
        self, system: System, broker: dramatiq.Broker, *, queue_name: str = QUEUE,
        routes: Mapping[str, Route] = ROUTES, interval: float | None = None, batch: int = BATCH,
    ) -> None:
        self.system = system
        self.broker = broker
        self.queue_name = queue_name
        self.interval = float(system.settings.relay_interval if interval is None else interval)
        self.batch = batch
        #: Periodic jobs (the EGRUL status re-check, the task alerts): their actors run
        #: the steps, the scheduler — looked at from the relay loop — starts the passes.
        self.jobs = periodic_jobs(system, broker)
        self.actors = register_actors(broker, system, queue_name, self.jobs)
        self.relay = OutboxRelay(system.engine, broker, routes, now=lambda: system.app.clock.now())
        self.scheduler = Scheduler(self.jobs)
        self.worker: dramatiq.Worker | None = None
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._relay_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._process_booted = False

    @property
    def embedded(self) -> bool:
        """The broker lives in this process (no ``ECRM_BROKER_URL``)."""
        return isinstance(self.broker, StubBroker)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- life cycle -------------------------------------------------------------------

    def start(self, *, worker: bool | None = None, threads: int | None = None) -> None:
        """Start the relay loop and, when ``worker`` (default: with the embedded broker),
        a dramatiq worker in this process. Starting again adds what is missing."""
        if worker is None:
            worker = self.embedded
        with self._state_lock:
            if worker and self.worker is None:
                if self.embedded:
                    self._requeue_lost()
                self.worker = dramatiq.Worker(
                    self.broker, queues={self.queue_name},
                    worker_threads=threads or (EMBEDDED_THREADS if self.embedded else WORKER_THREADS),
                    worker_timeout=EMBEDDED_TIMEOUT_MS if self.embedded else WORKER_TIMEOUT_MS,
                )
                self.worker.start()
            if self._thread is None:
                self._stopping.clear()
                self._thread = threading.Thread(
                    target=self._loop, name="ecrm-outbox-relay", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def boot_process(self) -> None:
        """Tell the broker's middleware that this process is a dedicated worker (starts
        dramatiq's time-limit watchdog). Once per runtime."""
        if not self._process_booted:
            self._process_booted = True
            self.broker.emit_after("process_boot")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the relay loop and the worker (letting running actors finish, up to
        ``timeout`` seconds) and close the broker's connections. Idempotent."""
        with self._state_lock:
            thread, self._thread = self._thread, None
            worker, self.worker = self.worker, None
        self._stopping.set()
        self._wake.set()
        if thread is not None:
            thread.join(timeout)
        if worker is not None:
            worker.stop(timeout=int(timeout * 1000))
        try:
            self.broker.close()
            pool = getattr(getattr(self.broker, "client", None), "connection_pool", None)
            if pool is not None:  # RedisBroker.close leaves its connections open
                pool.disconnect()
        except Exception:
            log.warning("closing the broker failed", exc_info=True)

    # -- the relay ----------------------------------------------------------------------

    def after_commit(self, events: Iterable[object]) -> None:
        """Called by the unit of work after every commit: wake the relay at once when an
        outbox row was written. Best effort — never raises into the request; a missed
        kick only delays the row until the next timed pass."""
        try:
            if self._thread is not None and any(getattr(e, "relayed", False) for e in events):
                self._wake.set()
        except Exception:
            log.exception("could not wake the outbox relay")

    def relay_now(self) -> int:
        """Relay every unpublished row that the broker takes now; returns how many rows
        were published."""
        total = 0
        with self._relay_lock:
            while True:
                done = self.relay.relay_once(self.batch)
                total += done
                if done < self.batch or self._stopping.is_set():
                    return total

    def drain(self, timeout: float = 10.0) -> bool:
        """Relay everything and wait until the queue is empty (every message handled).
        For tests and scripts; needs a worker consuming the queue. False when the broker
        is down or the queue did not empty within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        self.relay_now()
        if self.relay.pending():
            return False
        left_ms = max(1, int((deadline - time.monotonic()) * 1000))
        try:
            self.broker.join(self.queue_name, timeout=left_ms)
        except QueueJoinTimeout:
            return False
        return True

    def _loop(self) -> None:
        while True:
            self._wake.wait(self.interval)
            if self._stopping.is_set():
                return
            self._wake.clear()
            try:
                self.relay_now()
            except Exception:
                log.exception("outbox relay pass failed; next try in %ss", self.interval)
            self.scheduler.tick(time.monotonic())  # never raises

    def _requeue_lost(self) -> None:
        try:
            count = self.relay.requeue_unhandled()
        except Exception:
            log.exception("could not look for outbox rows lost with a previous process")
            return
        if count:
            log.info("resending %d outbox rows published but never handled", count)


def attach_queue(
    system: System, *, broker: dramatiq.Broker | None = None, queue_name: str = QUEUE,
    interval: float | None = None,
) -> QueueRuntime:
    """Give ``system`` its queue (replacing, and stopping, any previous one). The broker
    comes from ``system.settings.broker_url`` unless one is given."""
    previous = system.queue
    if previous is not None:
        previous.stop()
    runtime = QueueRuntime(
        system, broker if broker is not None else make_broker(system.settings.broker_url),
        queue_name=queue_name, interval=interval,
    )
    system.queue = runtime
    return runtime


def run_worker(
    system: System, stop_event: threading.Event | None = None, *, threads: int | None = None
) -> None:
    """``ecrm worker``: consume the configured broker's queue with a dramatiq worker and
    run the outbox relay loop, until SIGINT/SIGTERM (when called in the main thread) or
    until ``stop_event`` is set. Blocks; returns after a clean shutdown."""
    stop = stop_event if stop_event is not None else threading.Event()
    runtime = system.queue if isinstance(system.queue, QueueRuntime) else attach_queue(system)
    restore = _stop_on_signals(stop)
    try:
        if runtime.embedded:
            log.warning(
                "ECRM_BROKER_URL is not set: this worker consumes its own in-process queue "
                "(a web process with the embedded default already runs one)"
            )
        runtime.boot_process()
        runtime.start(worker=True, threads=threads or WORKER_THREADS)
        log.info(
            "ECRM worker running: queue %r on %s, relaying the outbox every %ss",
            runtime.queue_name, _describe(system.settings.broker_url), runtime.interval,
        )
        while not stop.wait(1.0):
            pass
        log.info("ECRM worker stopping")
    finally:
        runtime.stop()
        restore()
    log.info("ECRM worker stopped")


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum, _frame) -> None:
        log.info("received %s", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


def _describe(broker_url: str) -> str:
    """The broker URL without credentials, for logs."""
    if not broker_url:
        return "the embedded in-process broker"
    parts = urlsplit(broker_url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
