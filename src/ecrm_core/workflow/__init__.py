"""The one workflow engine for every state machine of ECRM (REQ-4, INV-2, DEAL-1…DEAL-4,
ORD-3, AUTO-1).

Design:

- **State sets are data** (``model.StateSet``, an entry of a reference book): states
  (code, name, order, initial, final, colour, normative duration, on-enter actions) and
  transitions (from, to, name, roles, guards, automatic, reason required). Guards and
  on-enter actions are frozen value objects, one class per kind, so the administrator's
  form, the JSON API, history and storage all use the same plain-data shape
  (``definition.parse_definition`` / ``dump_definition``) and the engine needs no
  configuration code. ``model.check_definition`` tells whether a whole set is sound and
  names every fault by path (``states[2].colour``).
- **The engine is pure** (``engine``): given the set, the object's current state, what
  the object's area tells about it (``WorkflowSubject``: attribute values, linked
  objects' states, approvals, amounts, named conditions) and the roles the actor holds
  over it, it lists the manual transitions available (each with what blocks it),
  makes one (``transition`` → ``TransitionOutcome``: new state, on-enter actions,
  ``StateChanged`` event) or refuses with Conflict / Forbidden / ValidationFailed, and
  finds the automatic transitions that now apply (``automatic``: they have no cycles,
  so they always settle).
- **Who does what**: the area's use case asks the policy whether the actor may edit the
  object, asks the engine, applies the outcome to the object (``apply_to``: the event
  goes to history through the unit of work) and carries out the on-enter actions in the
  same unit of work. The engine never performs effects itself: planning a task, a
  payment, a system message or a client e-mail belongs to the areas that own them.
- **The reference book** (``services.StateSetService``): read by everyone, edited by the
  Director and Administrators; a state in use cannot be removed (``ports.StatesInUse``,
  answered by the areas). New companies get ``services.DEFAULT_STATE_SETS``.
"""

from ecrm_core.workflow.engine import (
    Blocker,
    Facts,
    Option,
    StateChanged,
    TransitionOutcome,
    WorkflowSubject,
    automatic,
    available,
    overdue,
    start,
    transition,
)
from ecrm_core.workflow.model import StateDef, StateSet, TransitionDef

__all__ = [
    "Blocker",
    "Facts",
    "Option",
    "StateChanged",
    "StateDef",
    "StateSet",
    "TransitionDef",
    "TransitionOutcome",
    "WorkflowSubject",
    "automatic",
    "available",
    "overdue",
    "start",
    "transition",
]
