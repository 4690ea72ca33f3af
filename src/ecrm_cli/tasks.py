"""``ecrm tasks``: the reminders and escalations of tasks (TASK-7) by hand.

The periodic task alerts job (docs/queue.md, "Periodic jobs") does the same every
``ECRM_TASK_ALERTS_MINUTES``; these commands run it here and now — or show what it
would send — through the same use cases (``TaskService.pending_escalations``,
``escalate``, ``send_reminders``). A run takes the job's lease like a periodic pass, so
it never runs beside one.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from ecrm_adapters.queue import JobBusy, TaskAlerts
from ecrm_cli.context import CommandError, EcrmGroup, Runtime, table
from ecrm_core.tasks.model import Task


@click.group(cls=EcrmGroup)
def tasks() -> None:
    """Tasks: send due reminders and escalations now (TASK-7)."""


@contextmanager
def _exclusive(rt: Runtime) -> Iterator[None]:
    """Hold the task alerts job while the command runs (one pass at a time)."""
    system = rt.system()
    try:
        with TaskAlerts(system, system.queue.broker).held():
            yield
    except JobBusy as busy:
        until = f" until {busy.until:%Y-%m-%d %H:%M} UTC" if busy.until else ""
        raise CommandError(
            f"a task alerts pass is running or queued ({busy.holder}{until}); "
            "try again when it has finished") from None


def _due(task: Task) -> str:
    """The due day and time, in the responsible employee's time zone."""
    day = task.due_date.isoformat()
    return f"{day} {task.due_time:%H:%M}" if task.due_time else day


@tasks.command("escalate")
@click.option("--dry-run", is_flag=True,
              help="Only list what would be sent now (task, employee, type, due, rule, "
                   "recipient); send nothing.")
@click.pass_obj
def tasks_escalate(rt: Runtime, dry_run: bool) -> None:
    """Send the escalations that are due now: planned tasks overdue by the delay of an
    escalation rule, each once per task, rule and deadline; a recipient gets one
    message per rule listing the tasks.

    With --dry-run, list them instead.
    """
    app = rt.system().app
    if dry_run:
        pending = app.tasks.pending_escalations()
        if not pending:
            click.echo("Nothing to escalate now.")
            return
        actor = rt.actor()
        names = {e.id: e.full_name for e in app.org.employees(actor.id)}
        kinds = {k.id: k.name for k in app.tasks.task_types(actor.id, include_inactive=True)}
        table([(p.task.id, names.get(p.task.responsible_id, p.task.responsible_id),
                kinds.get(p.task.task_type_id, ""), _due(p.task), p.rule.name,
                names.get(p.recipient_id, p.recipient_id)) for p in pending],
              ("TASK", "EMPLOYEE", "TYPE", "DUE", "RULE", "RECIPIENT"))
        click.echo(f"{len(pending)} escalation(s) would be sent now.")
        return
    with _exclusive(rt):
        expected = len(app.tasks.pending_escalations())
        with click.progressbar(length=max(expected, 1), label="Escalating", file=sys.stderr,
                               show_pos=True) as bar:
            report = app.tasks.escalate(on_batch=bar.update)
    click.echo(f"Sent {report.escalations} escalation(s) in {report.messages} message(s).")


@tasks.command("remind")
@click.pass_obj
def tasks_remind(rt: Runtime) -> None:
    """Send the reminders whose time has come (once per task and reminder time; a task
    already overdue gets no late reminder)."""
    app = rt.system().app
    with _exclusive(rt):
        sent = app.tasks.send_reminders()
    click.echo(f"Sent {sent} reminder(s).")


__all__ = ["tasks"]
