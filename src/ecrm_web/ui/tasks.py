"""Tasks and contacts with clients (§6.1, TASK-1…TASK-8) in the HTML interface.

- the personal Tasks tab («Задачник → Задачи», ``/me/tasks``) and the same tab on another
  employee's page (``/employees/<id>/tasks``): client/deal tasks and employee tasks, ten
  a page with [11-20] range links, the filter (period, state, typical task,
  counterparty, project), «Добавить задачу» for those who may plan for the employee
  (TASK-2, TASK-3, TASK-6);
- the counterparty card's Tasks tab with «Добавить задачу» and the one-step
  «Зарегистрировать входящий звонок» form, and its «История контактов» tab (TASK-1,
  TASK-8);
- the task form (add / edit, TASK-4), completing with a result note, deleting after a
  confirmation page (TASK-5), a task's own page;
- the calendar (week and month views) and its private iCalendar feed (``/calendar/<token>.ics``).

Every view parses its input, calls one task service (whose policy decides, TASK-6) and
renders; forms answer through ``handle_form`` (422 with field messages, 409 on a stale
``version``). The counterparty picker of the form asks the client base's search
(``/counterparties/lookup``, the search line's rules); without JavaScript its ID is typed,
or found with the form's «Найти» button (``…/refill``, nothing saved)."""

from __future__ import annotations

import calendar as monthly
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, format_date, to_user_timezone
from flask_babel import gettext as _
from flask_login import login_required

from ecrm_core.counterparties.model import COUNTERPARTY
from ecrm_core.kernel.errors import Forbidden, NotFound, ValidationFailed
from ecrm_core.kernel.fields import Fields
from ecrm_core.tasks.model import TaskState
from ecrm_core.tasks.services import TIMELINE_PAGE
from ecrm_web.ui import texts
from ecrm_web.ui.clients import ClientNames, card_context
from ecrm_web.ui.common import (
    actor,
    as_int,
    core,
    form_data,
    handle_form,
    redirect_to,
    safe_next,
    url_with,
)
from ecrm_web.ui.me import page_context
from ecrm_web.ui.org import employee_context

bp = Blueprint("ui_tasks", __name__)

#: What the task form sends (TASK-4); ``responsible_id`` only when adding.
FORM_FIELDS = ("project_id", "counterparty_id", "contact_id", "task_type_id", "state",
               "due_date", "due_time", "remind_minutes", "what", "result")
FILTER_FIELDS = ("date_from", "date_to", "state", "task_type_id", "counterparty_id",
                 "project_id", "section")
CALL_FIELDS = ("contact_id", "project_id", "what", "result")
SECTIONS = ("client", "employee")
#: Range links shown around the current page of a Tasks tab ([11-20] …).
PAGE_LINKS = 3
CALENDAR_VIEWS = ("week", "month")
#: How long a timed task lasts in the calendar feed (a task has only a due time).
EVENT_LENGTH = timedelta(minutes=30)


# -- presenting tasks -----------------------------------------------------------------------


class TaskNames(ClientNames):
    """Names behind the ids of tasks: typical tasks, contact persons, counterparties,
    projects, employees — each loaded once per page."""

    ID_FIELDS = {**ClientNames.ID_FIELDS, "responsible_id": "employee",
                 "created_by": "employee", "updated_by": "employee", "notified": "employee"}

    def __init__(self, counterparty_id: int | None = None) -> None:
        super().__init__()
        self._types: dict[int, str] | None = None
        self._contacts: dict[int, dict[int, str]] = {}
        #: the counterparty whose contact persons a task's history names
        self.counterparty_id = counterparty_id

    def kind(self, type_id: object) -> str:
        if self._types is None:
            self._types = {t.id: t.name for t in core().tasks.task_types(
                actor(), include_inactive=True)}
        key = as_int(type_id)
        return self._types.get(key, f"#{type_id}") if key is not None else "—"

    def contacts_of(self, counterparty_id: int) -> dict[int, str]:
        if counterparty_id not in self._contacts:
            try:
                self._contacts[counterparty_id] = {
                    c.id: c.full_name
                    for c in core().counterparties.contacts(actor(), counterparty_id)}
            except (NotFound, Forbidden):
                self._contacts[counterparty_id] = {}
        return self._contacts[counterparty_id]

    def contact(self, counterparty_id: object, contact_id: object) -> str:
        card, key = as_int(counterparty_id), as_int(contact_id)
        if card is None or key is None:
            return ""
        return self.contacts_of(card).get(key, f"#{key}")

    def history_value(self, field: str, value: object, entry_kind: str = "") -> str:
        if value is None or value == "":
            return "—"
        if field == "task_type_id":
            return self.kind(value)
        if field == "state":
            return texts.label(texts.TASK_STATES, value)
        if field in ("due_date", "birthday"):
            return self.date(value)
        if field == "due_time":
            return str(value)[:5]
        if field == "contact_id":
            return self.contact(self.counterparty_id, value) if self.counterparty_id \
                else f"#{value}"
        if field == "unit":
            return texts.label(texts.DELAY_UNITS, value)
        if field == "target":
            return texts.label(texts.ESCALATION_TARGETS, value)
        return super().history_value(field, value, entry_kind)


def _now() -> datetime:
    return core().clock.now()


def today() -> date:
    """Today in the signed-in employee's time zone (the default due date)."""
    return to_user_timezone(_now()).date()


def task_state(task, now: datetime) -> str:
    """planned, done or overdue (a planned task past its deadline) for the row's pill."""
    if task.state is TaskState.DONE:
        return "done"
    return "overdue" if task.is_overdue(now) else "planned"


def _rights(rows) -> dict[int, dict[str, bool]]:
    """The buttons of each row (TASK-6)."""
    return core().tasks.rights_of(actor(), rows)


def _here() -> str:
    return request.full_path.rstrip("?")


def _page_links(listing, arg: str) -> list[tuple[int, str, str | None]]:
    """[(page, "11-20", url or None for the current page)] around the current page, with
    the first and the last (None page: a gap)."""
    if listing.pages <= 1:
        return []
    wanted = {1, listing.pages, *range(listing.page - PAGE_LINKS, listing.page + PAGE_LINKS + 1)}
    links: list[tuple[int, str, str | None]] = []
    previous = 0
    for number in sorted(p for p in wanted if 1 <= p <= listing.pages):
        if number - previous > 1:
            links.append((0, "…", None))
        first = (number - 1) * listing.per_page + 1
        last = min(number * listing.per_page, listing.total)
        links.append((number, f"{first}-{last}",
                      None if number == listing.page else url_with(**{arg: number})))
        previous = number
    return links


def _choices(include_type: int | None = None) -> dict:
    """Options of the task form and the filter: projects and typical tasks (a closed
    one only when the task already has it)."""
    app = core()
    types = app.tasks.task_types(actor(), include_inactive=True)
    return {
        "project_options": [(p.id, p.name) for p in app.org.projects(actor())],
        "type_options": [(t.id, t.name) for t in types if t.active or t.id == include_type],
        "state_options": [(k, str(v)) for k, v in texts.TASK_STATES.items()],
    }


def _filters() -> dict[str, str]:
    return {k: request.args[k] for k in FILTER_FIELDS if request.args.get(k, "").strip()}


# -- the personal Tasks tab and an employee's Tasks tab (TASK-2, TASK-3, TASK-6) -------------


def _sections(employee_id: int, filters: dict[str, str]) -> list[tuple[str, Any]]:
    """Both parts of the tab (or the one the filter asks for), each paged on its own."""
    wanted = filters.get("section", "")
    names = [wanted] if wanted else list(SECTIONS)
    if not wanted and filters.get("counterparty_id"):
        names = ["client"]  # a counterparty's tasks are never employee tasks
    out = []
    tasks = core().tasks
    for name in names:
        arg = f"{name}_page" if name in SECTIONS else "page"
        page = request.args.get(arg, "1")
        data = {**filters, "section": name}
        listing = tasks.of_employee(actor(), employee_id, data, page)
        if listing.total and listing.page > listing.pages:
            listing = tasks.of_employee(actor(), employee_id, data, listing.pages)
        out.append((name, listing, _page_links(listing, arg)))
    return out


def _tab_context(employee_id: int) -> tuple[dict, int]:
    """The Tasks tab's lists and filter; a bad filter shows its field messages (422)."""
    filters = _filters()
    context: dict[str, Any] = {"filters": filters, "filter_errors": {}, "sections": [],
                               "now": _now(), "rights": {}}
    status = 200
    try:
        context["sections"] = _sections(employee_id, filters)
    except ValidationFailed as exc:
        context["filter_errors"] = texts.field_errors(exc.errors)
        status = 422
    rows = [t for _name, listing, _links in context["sections"] for t in listing.rows]
    context["rights"] = _rights(rows)
    context["may_plan"] = core().tasks.may_plan_for(actor(), employee_id)
    context["here"] = _here()
    context["section_options"] = [(k, str(v)) for k, v in texts.TASK_SECTIONS.items()]
    context.update(_choices())
    return context, status


def _personal(**context) -> dict:
    """A tab of the personal page with the names of tasks."""
    return {**page_context(**context), "names": TaskNames(), "employee_id": actor()}


@bp.get("/me/tasks")
@login_required
def mine():
    """«Задачник → Задачи»: the signed-in employee's own Tasks tab."""
    context, status = _tab_context(actor())
    return render_template("me/tasks.html", **_personal(tab="tasks", **context)), status


@bp.get("/employees/<int:employee_id>/tasks")
@login_required
def of_employee(employee_id: int):
    """An employee's Tasks tab: their head, Sales management over them and the Director
    see it and add tasks for them here (TASK-6); others get 403."""
    names = TaskNames()
    page = employee_context(employee_id, "tasks", names)
    context, status = _tab_context(employee_id)
    return render_template("objects/employee.html", employee_id=employee_id,
                           **page, **context), status


# -- the counterparty card: Tasks and Contact history (TASK-1, TASK-2, TASK-8) ----------------


def _card_tasks_context(counterparty_id: int, **extra) -> dict:
    names = TaskNames()
    context = card_context(counterparty_id, "tasks")
    filters = {k: v for k, v in _filters().items() if k not in ("counterparty_id", "section")}
    context.update(names=names, filters=filters, filter_errors={}, now=_now(), here=_here(),
                   call_contacts=sorted(names.contacts_of(counterparty_id).items(),
                                        key=lambda item: item[1]))
    context.update(_choices())
    try:
        listing = core().tasks.of_counterparty(actor(), counterparty_id, filters,
                                               request.args.get("page", "1"))
    except ValidationFailed as exc:
        context["filter_errors"] = texts.field_errors(exc.errors)
        listing = None
    context["listing"] = listing
    context["links"] = _page_links(listing, "page") if listing else []
    context["rights"] = _rights(listing.rows) if listing else {}
    context.update(extra)
    return context


@bp.get("/counterparties/<int:counterparty_id>/tasks")
@login_required
def card_tasks(counterparty_id: int):
    context = _card_tasks_context(counterparty_id)
    status = 422 if context["filter_errors"] else 200
    return render_template("clients/card.html", errors={}, values=None, **context), status


@bp.post("/counterparties/<int:counterparty_id>/calls")
@login_required
def register_call(counterparty_id: int):
    """«Зарегистрировать входящий звонок»: a done call of the signed-in employee, now."""
    data = {k: v for k, v in form_data().items() if k in CALL_FIELDS}
    data["counterparty_id"] = str(counterparty_id)
    return handle_form(
        lambda: core().tasks.register_call(actor(), data),
        success=lambda _t: redirect_to(url_for("ui_tasks.card_tasks",
                                               counterparty_id=counterparty_id)),
        template="clients/card.html",
        context=lambda: _card_tasks_context(counterparty_id, calling=True),
        message=_("The incoming call is registered."),
    )


@bp.get("/counterparties/<int:counterparty_id>/contact-history")
@login_required
def contact_history(counterparty_id: int):
    """«История контактов» (TASK-8): planned contacts, their outcomes and fact contacts
    in one time line with the card's other events, newest first, a page at a time."""
    page = min(max(as_int(request.args.get("page")) or 1, 1), 100_000)
    items = core().tasks.contact_history(actor(), counterparty_id, page)
    context = card_context(counterparty_id, "contact_history")
    context.update(names=TaskNames(), items=items, page=page, now=_now(),
                   has_next=len(items) >= TIMELINE_PAGE,
                   prev_url=url_with(page=page - 1 if page > 2 else None) if page > 1 else None,
                   next_url=url_with(page=page + 1))
    return render_template("clients/card.html", errors={}, values=None, **context)


@bp.get("/tasks/contacts")
@login_required
def contacts_json():
    """The contact persons of a counterparty, for the task form's select (JSON)."""
    counterparty_id = as_int(request.args.get("counterparty_id"))
    if counterparty_id is None:
        return jsonify({"contacts": []})
    contacts = core().counterparties.contacts(actor(), counterparty_id)
    return jsonify({"contacts": [{"id": c.id, "name": c.full_name} for c in contacts]})


# -- the task form (TASK-4), its page, completing and deleting (TASK-5) ----------------------


def _back_to(task_or_employee_id) -> str:
    """Where a form returns to: ``next`` when given, else the responsible's Tasks tab."""
    given = safe_next(request.values.get("next"))
    if given:
        return given
    employee_id = getattr(task_or_employee_id, "responsible_id", task_or_employee_id)
    if employee_id == actor():
        return url_for("ui_tasks.mine")
    return url_for("ui_tasks.of_employee", employee_id=employee_id)


def _form_context(values: dict | None, *, task=None, employee_id: int | None = None,
                  found=None, find_error: str = "") -> dict:
    """The add / edit form: the responsible employee, the options and the contact persons
    of the chosen counterparty."""
    names = TaskNames()
    responsible = task.responsible_id if task is not None else employee_id
    counterparty_id = as_int((values or {}).get("counterparty_id")) if values is not None \
        else (task.counterparty_id if task is not None else None)
    contacts = sorted(names.contacts_of(counterparty_id).items(), key=lambda i: i[1]) \
        if counterparty_id else []
    return {
        "task": task, "names": names, "responsible_id": responsible,
        "responsible": names.of("employee", responsible),
        "counterparty_name": names.of(COUNTERPARTY, counterparty_id) if counterparty_id else "",
        "contacts": contacts, "found": found, "find_error": find_error,
        "next": safe_next(request.values.get("next")) or "",
        "back": _back_to(task if task is not None else responsible),
        **_choices(task.task_type_id if task is not None else None),
    }


def _task_values(task) -> dict[str, str]:
    def text(value) -> str:
        return "" if value is None else str(value)

    return {
        "project_id": text(task.project_id), "counterparty_id": text(task.counterparty_id),
        "contact_id": text(task.contact_id), "task_type_id": text(task.task_type_id),
        "state": task.state.value, "due_date": task.due_date.isoformat(),
        "due_time": task.due_time.strftime("%H:%M") if task.due_time else "",
        "remind_minutes": text(task.remind_minutes), "what": task.what,
        "result": task.result, "version": str(task.version),
    }


def _planner(employee_id: int) -> int:
    """The employee a new task is for: it needs the right to plan for them (TASK-6)."""
    core().org.employee(actor(), employee_id)  # NotFound: 404
    if not core().tasks.may_plan_for(actor(), employee_id):
        raise Forbidden("you may not create task here")
    return employee_id


@bp.get("/tasks/new")
@login_required
def new_task():
    employee_id = _planner(as_int(request.args.get("employee_id")) or actor())
    values = {"state": "planned", "due_date": today().isoformat(),
              "counterparty_id": request.args.get("counterparty_id", "")}
    if values["counterparty_id"] and as_int(values["counterparty_id"]) is None:
        values["counterparty_id"] = ""
    return render_template("tasks/form.html", errors={}, values=values,
                           **_form_context(values, employee_id=employee_id))


@bp.post("/tasks/new")
@login_required
def create_task():
    form = form_data()
    data = {k: v for k, v in form.items() if k in FORM_FIELDS}
    employee_id = as_int(form.get("responsible_id")) or actor()
    data["responsible_id"] = form.get("responsible_id") or str(actor())
    return handle_form(
        lambda: core().tasks.create(actor(), data),
        success=lambda task: redirect_to(_back_to(task)),
        template="tasks/form.html",
        context=lambda: _form_context(form, employee_id=employee_id),
        message=_("The task is added."),
    )


def _refill(task=None):
    """The form again with the chosen counterparty's contact persons, or with the
    counterparties the «Найти» box found (the client base's search); nothing is saved.
    This is the picker without JavaScript."""
    values = form_data()
    picked = values.pop("pick_counterparty", "")
    if as_int(picked) is not None:
        values["counterparty_id"] = picked
        values["contact_id"] = ""
    query = values.pop("find", "")
    found, find_error = None, ""
    if query.strip() and not picked:
        try:
            found = core().counterparties.search(actor(), query, 1, include_deleted=False).rows
        except ValidationFailed as exc:
            find_error = texts.core_text(exc.errors.get("q", exc.message))
    employee_id = None
    if task is None:
        employee_id = _planner(as_int(values.get("responsible_id")) or actor())
    return render_template("tasks/form.html", errors={}, values=values, **_form_context(
        values, task=task, employee_id=employee_id, found=found, find_error=find_error))


@bp.post("/tasks/new/refill")
@login_required
def refill_new():
    return _refill()


def _editable(task_id: int):
    task = core().tasks.get(actor(), task_id)
    if not core().tasks.rights(actor(), task)["edit"]:
        raise Forbidden("you may not edit task here")
    return task


@bp.post("/tasks/<int:task_id>/edit/refill")
@login_required
def refill_edit(task_id: int):
    return _refill(_editable(task_id))


@bp.get("/tasks/<int:task_id>")
@login_required
def task(task_id: int):
    """A task's page: its fields, the buttons its viewer may use and its history."""
    app = core()
    item = app.tasks.get(actor(), task_id)
    rights = app.tasks.rights(actor(), item)
    try:
        entries = app.history.of(actor(), item.ref)
    except Forbidden:  # a client task seen from its card: the history is its people's
        entries = []
    return render_template("tasks/task.html", task=item, rights=rights, entries=entries,
                           names=TaskNames(item.counterparty_id), now=_now(), here=_here(),
                           back=_back_to(item))


@bp.get("/tasks/<int:task_id>/edit")
@login_required
def edit_task(task_id: int):
    item = _editable(task_id)
    values = _task_values(item)
    return render_template("tasks/form.html", errors={}, values=values,
                           **_form_context(values, task=item))


@bp.post("/tasks/<int:task_id>/edit")
@login_required
def update_task(task_id: int):
    form = form_data()
    data = {k: v for k, v in form.items() if k in (*FORM_FIELDS, "version")}
    return handle_form(
        lambda: core().tasks.update(actor(), task_id, data),
        success=lambda item: redirect_to(_back_to(item)),
        template="tasks/form.html",
        context=lambda: _form_context(form, task=core().tasks.get(actor(), task_id)),
        message=_("The task is saved."),
    )


def _complete_context(task_id: int) -> dict:
    item = core().tasks.get(actor(), task_id)
    return {"task": item, "names": TaskNames(), "now": _now(),
            "next": safe_next(request.values.get("next")) or "", "back": _back_to(item)}


@bp.get("/tasks/<int:task_id>/complete")
@login_required
def complete_form(task_id: int):
    item = _editable(task_id)
    if item.state is TaskState.DONE:
        flash(_("The task is already done."), "info")
        return redirect_to(url_for("ui_tasks.task", task_id=task_id))
    return render_template("tasks/complete.html", errors={},
                           values={"result": item.result, "version": str(item.version)},
                           **_complete_context(task_id))


@bp.post("/tasks/<int:task_id>/complete")
@login_required
def complete(task_id: int):
    form = form_data()
    data = {k: v for k, v in form.items() if k in ("result", "version")}
    return handle_form(
        lambda: core().tasks.complete(actor(), task_id, data),
        success=lambda item: redirect_to(_back_to(item)),
        template="tasks/complete.html",
        context=lambda: _complete_context(task_id),
        message=_("The task is done."),
    )


@bp.get("/tasks/<int:task_id>/delete")
@login_required
def confirm_delete(task_id: int):
    item = core().tasks.get(actor(), task_id)
    if not core().tasks.rights(actor(), item)["delete"]:
        raise Forbidden("you may not delete task here")
    return render_template("tasks/delete.html", errors={}, values=None,
                           **_complete_context(task_id))


@bp.post("/tasks/<int:task_id>/delete")
@login_required
def delete(task_id: int):
    """Delete after the confirmation page (TASK-5); back to where that page came from."""
    form = form_data()
    return handle_form(
        lambda: core().tasks.delete(actor(), task_id, form.get("version")),
        success=lambda _r: redirect_to(safe_next(form.get("next"))
                                       or url_for("ui_tasks.mine")),
        template="tasks/delete.html",
        context=lambda: _complete_context(task_id),
        message=_("The task is deleted."),
    )


# -- the calendar: week and month views, the private feed ------------------------------------


def _span(view: str, day: date) -> tuple[date, date, date, date]:
    """(first shown day, last shown day, previous, next) of the view around ``day``: a
    week from Monday; a month as whole weeks."""
    if view == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6), start - timedelta(days=7), \
            start + timedelta(days=7)
    first = day.replace(day=1)
    last = first.replace(day=monthly.monthrange(first.year, first.month)[1])
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=6 - last.weekday())
    previous = (first - timedelta(days=1)).replace(day=1)
    return start, end, previous, last + timedelta(days=1)


def _calendar_context(employee_id: int) -> tuple[dict, int]:
    view = request.args.get("view", "week")
    if view not in CALENDAR_VIEWS:
        view = "week"
    current, errors, status = today(), {}, 200
    raw = request.args.get("date", "")
    fields = Fields()
    day = fields.day({"date": raw}, "date") or current
    if fields.errors:
        status = 422
        errors["date"] = texts.core_text(fields.errors["date"])
    start, end, previous, following = _span(view, day)
    tasks = core().tasks.calendar(actor(), employee_id, start.isoformat(), end.isoformat())
    by_day: dict[date, list] = {}
    for item in tasks:
        by_day.setdefault(item.due_date, []).append(item)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    weeks = [days[i:i + 7] for i in range(0, len(days), 7)]
    if view == "week":
        title = f"{format_date(start, 'd MMMM')} — {format_date(end, 'd MMMM y')}"
    else:
        title = format_date(day.replace(day=1), "LLLL y").capitalize()
    return {
        "view": view, "day": day, "today": current, "weeks": weeks, "by_day": by_day,
        "month": day.month, "title": title, "calendar_errors": errors, "now": _now(),
        "prev_url": url_with(date=previous.isoformat()),
        "next_url": url_with(date=following.isoformat()),
        "today_url": url_with(date=None),
        "view_url": lambda v: url_with(view=v),
        "weekdays": [format_date(date(2024, 1, 1) + timedelta(days=n), "EEE")
                     for n in range(7)],
    }, status


def _feed_context(**extra) -> dict:
    return {"has_feed": core().tasks.has_feed(actor()), **extra}


@bp.get("/me/calendar")
@login_required
def my_calendar():
    context, status = _calendar_context(actor())
    return render_template("me/calendar.html", **_personal(
        tab="calendar", **context, **_feed_context())), status


@bp.get("/employees/<int:employee_id>/calendar")
@login_required
def employee_calendar(employee_id: int):
    names = TaskNames()
    page = employee_context(employee_id, "calendar", names)
    context, status = _calendar_context(employee_id)
    return render_template("objects/employee.html", employee_id=employee_id,
                           **page, **context), status


@bp.post("/me/calendar/feed")
@login_required
def issue_feed():
    """Create (or recreate: the old address stops working) the private feed address; it
    is shown in this answer only."""
    token = core().tasks.issue_feed_token(actor())
    context, _status = _calendar_context(actor())
    feed_url = url_for("ui_tasks.feed", token=token, _external=True)
    return render_template("me/calendar.html", **_personal(
        tab="calendar", feed_url=feed_url, **context, **_feed_context())), 201


@bp.post("/me/calendar/feed/revoke")
@login_required
def revoke_feed():
    core().tasks.revoke_feed_token(actor())
    flash(_("The calendar address is revoked: calendars subscribed to it no longer "
            "receive your tasks."), "success")
    return redirect_to(url_for("ui_tasks.my_calendar"))


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    """The private iCalendar feed (no session: the token in the address is the key).
    Unknown or revoked tokens: 404."""
    from icalendar import Calendar, Event

    app = core()
    found = app.tasks.feed(token)
    employee, tasks = found.employee, found.tasks
    kinds = found.type_names

    def card_name(counterparty_id: int) -> str:
        return found.counterparty_names.get(counterparty_id, "")

    with force_locale(employee.locale or "ru"):
        result_label, done_label = _("Result"), _("Done")
        name = _("ECRM tasks: %(name)s", name=employee.full_name)
    ical = Calendar()
    ical.add("prodid", "-//ECRM//Tasks//RU")
    ical.add("version", "2.0")
    ical.add("calscale", "GREGORIAN")
    ical.add("method", "PUBLISH")
    ical.add("x-wr-calname", name)
    ical.add("x-wr-timezone", employee.timezone or "Europe/Moscow")
    stamp = app.clock.now()
    # UIDs stay the same for a task whatever address the feed is read from: the
    # installation's public host (ECRM_BASE_URL) names them.
    domain = urlsplit(current_app.extensions["ecrm"].settings.base_url).hostname or "ecrm"
    for item in tasks:
        event = Event()
        event.add("uid", f"ecrm-task-{item.id}@{domain}")
        event.add("dtstamp", stamp)
        event.add("sequence", item.version)
        if item.updated_at:
            event.add("last-modified", item.updated_at)
        if item.due_time is not None and item.due_at is not None:
            event.add("dtstart", item.due_at)
            event.add("dtend", item.due_at + EVENT_LENGTH)
        else:
            event.add("dtstart", item.due_date)
            event.add("dtend", item.due_date + timedelta(days=1))
        title = kinds.get(item.task_type_id, "")
        client = card_name(item.counterparty_id) if item.counterparty_id else ""
        summary = f"{title} — {client}" if client else title
        if item.state is TaskState.DONE:
            summary = f"✓ {summary} ({done_label})"
        event.add("summary", summary)
        description = item.what
        if item.result:
            description = f"{description}\n{result_label}: {item.result}".strip()
        if description:
            event.add("description", description)
        event.add("status", "CONFIRMED")
        event.add("x-ecrm-state", item.state.value)
        event.add("url", url_for("ui_tasks.task", task_id=item.id, _external=True))
        ical.add_component(event)
    response = Response(ical.to_ical(), mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="ecrm-tasks.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response

