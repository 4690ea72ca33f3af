"""Ports of the tasks area: what the escalation job reads in bulk (TASK-7)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Protocol

import attrs

from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.tasks.model import TASK


@attrs.frozen
class DueTask:
    """What the escalation job needs of a planned task: read as plain values, not as
    the aggregate (100,000 overdue tasks are read in a pass; docs/performance.md)."""

    id: int
    responsible_id: int
    task_type_id: int
    due_date: date
    due_time: time | None
    due_at: datetime
    what: str = ""

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(TASK, self.id)


class DueTasks(Protocol):
    def unescalated(self, rule_id: int, task_type_id: int | None, due_before: datetime,
                    after_id: int, limit: int) -> list[DueTask]:
        """Planned tasks due at or before ``due_before`` with ids above ``after_id`` (of
        ``task_type_id``, or of every type when None) that rule ``rule_id`` has not
        escalated for their current deadline, by id, at most ``limit``."""
