"""Running ECRM: ``ecrm serve`` (the web face on waitress, a production WSGI server)
and ``ecrm worker`` (a queue worker for Redis or RabbitMQ).

The CLI never imports the web face: it finds it through the ``ecrm.faces`` entry point
group (``web = ecrm_web.app:create_app``), so neither face depends on the other.
"""

from __future__ import annotations

import logging
import signal
from importlib.metadata import entry_points

import click

from ecrm_adapters.demo import demo_credentials
from ecrm_cli.context import CommandError, EcrmCommand, Runtime

FACES_GROUP = "ecrm.faces"


def load_face(name: str):
    """The factory the ``ecrm.faces`` entry point ``name`` names."""
    found = entry_points(group=FACES_GROUP).select(name=name)
    for entry in found:
        return entry.load()
    raise CommandError(
        f"the {name!r} face is not installed (no entry point {name!r} in the group "
        f"{FACES_GROUP!r}); reinstall ECRM: pip install -e ."
    )


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _stop_on_sigterm() -> None:
    def _stop(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)


@click.command(cls=EcrmCommand)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 512),
              help="Worker threads serving requests.")
@click.pass_obj
def serve(rt: Runtime, host: str, port: int, threads: int) -> None:
    """Serve the web UI and the JSON API with waitress.

    Brings the schema up to date first. Without ECRM_BROKER_URL the queue runs inside
    this process; with it, this process only publishes and `ecrm worker` consumes.
    """
    import waitress

    _configure_logging()
    system = rt.system(migrate=True)
    create_app = load_face("web")
    wsgi_app = create_app(system=system, config=None)
    rt.settle()  # the application built, its objects live as long as the process
    try:
        server = waitress.create_server(wsgi_app, host=host, port=port, threads=threads,
                                        ident="ecrm")
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot listen on {host}:{port}: {exc}") from None
    try:
        system.start_embedded_queue()
    except ValueError as exc:  # a broker URL of an unknown kind
        server.close()
        raise CommandError(str(exc)) from None
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"ECRM is serving {rt.shown_url} at http://{shown_host}:{server.effective_port}/"
               " (Ctrl+C to stop)")
    if system.app.org.company() is None:
        click.echo("The database has no company yet: run `ecrm init` (or `ecrm demo`).")
    else:
        credentials = demo_credentials(system)
        if credentials is not None:
            click.echo(f"Demo login: {credentials.login}  Password: {credentials.password}")
    _stop_on_sigterm()
    try:
        server.run()  # returns on Ctrl+C or SIGTERM
    finally:
        server.close()
    click.echo("ECRM stopped.", err=True)


@click.command(cls=EcrmCommand)
@click.pass_obj
def worker(rt: Runtime) -> None:
    """Run a queue worker: consume the broker named by ECRM_BROKER_URL (Redis or
    RabbitMQ) and relay the outbox, until Ctrl+C or SIGTERM.

    Start as many as you need beside the `ecrm serve` processes. Without
    ECRM_BROKER_URL the queue already runs inside `ecrm serve` and no worker is needed.
    """
    from ecrm_adapters.queue import run_worker

    _configure_logging()
    run_worker(rt.system())
    click.echo("Worker stopped.", err=True)
