"""Flows of the client base on in-memory fakes: "assign responsible" with confirmations
by the employee and their head (CP-5…CP-7), the import of rows (rejected rows reported,
re-runs without duplicates), the register lookup (CP-2, ``from_registry``) and the
periodic status re-check's batches (``recheck_statuses``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ecrm_core.access.model import Role
from ecrm_core.counterparties.model import (
    AssignmentState,
    CounterpartyType,
    OrganisationStatus,
)
from ecrm_core.counterparties.ports import RegistryRecord, RegistryUnavailable
from ecrm_core.kernel.errors import Forbidden, NotFound, Unavailable, ValidationFailed
from ecrm_core.messages.model import MessageKind
from tests.fakes import fake_app

PASSWORD = "correct-horse"


@pytest.fixture
def w():
    app, storage = fake_app()
    w = SimpleNamespace(app=app, storage=storage, cards=app.counterparties)
    w.director = app.org.found_company(
        "ООО «Ромашка»", {"login": "director", "password": PASSWORD, "full_name": "Петров И."})
    d = w.d = w.director.id

    def employee(login, full_name, **extra):
        return app.org.add_employee(d, {"login": login, "password": PASSWORD,
                                        "full_name": full_name, **extra})

    w.head = employee("head", "Начальников Олег")
    w.sales = app.org.create_department(d, {"name": "Продажи", "head_id": w.head.id})
    w.emp = employee("emp", "Исполнителев Иван", department_id=w.sales.id)
    w.lone = employee("lone", "Одинокий Лев")
    w.curator = employee("curator", "Кураторова Ольга")
    w.project = app.org.create_project(d, {"name": "Внедрение"})
    w.clients = app.catalogs.create(d, {"name": "Клиенты", "curator_id": w.curator.id})
    w.card = w.cards.register(d, {"catalog_id": w.clients.id, "type": "legal_entity",
                                  "name": "ООО «Альфа»"})
    return w


def confirmations(w, employee):
    return [m for m in w.app.messages.inbox(employee.id, per_page=100)
            if m.message_kind is MessageKind.CONFIRMATION]


def notices(w, employee):
    return [m.text for m in w.app.messages.inbox(employee.id, per_page=100)
            if m.message_kind is MessageKind.NOTIFICATION]


def managers(w):
    return [(a.employee_id, a.project_id) for a in w.cards.managers(w.d, w.card.id)]


# -- assign responsible (CP-6) ---------------------------------------------------------------------


def test_both_confirm_the_assignment_takes_effect(w):
    assignment = w.cards.assign_responsible(w.curator.id, w.card.id, {"employee_id": w.emp.id})
    assert (assignment.state, assignment.head_id) == (AssignmentState.PENDING, w.head.id)
    [to_emp], [to_head] = confirmations(w, w.emp), confirmations(w, w.head)
    assert to_emp.action == to_head.action == f"curator_assignment:{assignment.id}"
    assert "Исполнителев Иван" in to_emp.text and "основное" in to_emp.text
    assert (to_emp.sender_id, to_emp.subject_id) == (w.curator.id, w.card.id)
    w.app.messages.answer(w.emp.id, to_emp.id, True)
    assert managers(w) == []  # the head has not answered yet
    w.app.messages.answer(w.head.id, to_head.id, True)
    assert managers(w) == [(w.emp.id, None)]
    done = w.storage.stores["curator_assignments"][assignment.id]
    assert (done.state, done.employee_confirmed, done.head_confirmed) == (
        AssignmentState.CONFIRMED, True, True)
    # CLIENT_MANAGER now lets the employee edit the card
    w.cards.update(w.emp.id, w.card.id, {"head": "Альфов"})
    # the card's history records the change of manager
    changes = [c for e in w.app.history.of(w.d, w.card.ref) for c in e.changes]
    assert {"field": "manager:main", "old": None, "new": w.emp.id} in changes
    # the assigner is told the outcome
    assert any("подтверждено" in text for text in notices(w, w.curator))


def test_one_refusal_ends_it_and_the_assigner_learns_the_reason(w):
    assignment = w.cards.assign_responsible(w.curator.id, w.card.id, {"employee_id": w.emp.id})
    w.app.messages.answer(w.emp.id, confirmations(w, w.emp)[0].id, True)
    with pytest.raises(ValidationFailed):  # a refusal needs a reason
        w.app.messages.answer(w.head.id, confirmations(w, w.head)[0].id, False, "  ")
    w.app.messages.answer(w.head.id, confirmations(w, w.head)[0].id, False, "он в отпуске")
    refused = w.storage.stores["curator_assignments"][assignment.id]
    assert (refused.state, refused.reason) == (AssignmentState.REFUSED, "он в отпуске")
    assert managers(w) == []
    assert any("отклонено" in t and "он в отпуске" in t for t in notices(w, w.curator))
    with pytest.raises(Forbidden):
        w.cards.update(w.emp.id, w.card.id, {"head": "Альфов"})


def test_the_employees_refusal_also_ends_it(w):
    assignment = w.cards.assign_responsible(w.curator.id, w.card.id, {"employee_id": w.emp.id})
    w.app.messages.answer(w.emp.id, confirmations(w, w.emp)[0].id, False, "не мой профиль")
    w.app.messages.answer(w.head.id, confirmations(w, w.head)[0].id, True)  # too late
    assert w.storage.stores["curator_assignments"][assignment.id].state \
        is AssignmentState.REFUSED
    assert managers(w) == []


def test_an_employee_without_a_head_confirms_alone(w):
    assignment = w.cards.assign_responsible(w.curator.id, w.card.id, {"employee_id": w.lone.id})
    assert assignment.head_id is None
    w.app.messages.answer(w.lone.id, confirmations(w, w.lone)[0].id, True)
    assert managers(w) == [(w.lone.id, None)]


def test_the_head_of_the_department_assigned_confirms_once(w):
    w.cards.assign_responsible(w.curator.id, w.card.id, {"employee_id": w.head.id})
    [request] = confirmations(w, w.head)
    w.app.messages.answer(w.head.id, request.id, True)
    assert managers(w) == [(w.head.id, None)]


def test_a_manager_per_direction_replaces_the_previous_one(w):
    data = {"employee_id": w.lone.id, "project_id": str(w.project.id)}
    w.cards.assign_responsible(w.curator.id, w.card.id, data)
    w.app.messages.answer(w.lone.id, confirmations(w, w.lone)[0].id, True)
    w.cards.assign_responsible(w.curator.id, w.card.id, {"employee_id": w.head.id,
                                                         "project_id": w.project.id})
    w.app.messages.answer(w.head.id, confirmations(w, w.head)[0].id, True)
    assert managers(w) == [(w.head.id, w.project.id)]
    changes = [c for e in w.app.history.of(w.d, w.card.ref) for c in e.changes
               if c["field"].startswith("manager:")]
    assert changes[0] == {"field": f"manager:{w.project.id}", "old": [w.lone.id],
                          "new": w.head.id}
    assert any("Внедрение" in m.text for m in confirmations(w, w.head))


def test_assignment_input_is_checked(w):
    assign = w.cards.assign_responsible
    with pytest.raises(ValidationFailed) as err:
        assign(w.curator.id, w.card.id, {"employee_id": "x", "project_id": "y"})
    assert set(err.value.errors) == {"employee_id", "project_id"}
    with pytest.raises(ValidationFailed):
        assign(w.curator.id, w.card.id, {})
    with pytest.raises(ValidationFailed):
        assign(w.curator.id, w.card.id, {"employee_id": 999})
    with pytest.raises(ValidationFailed):
        assign(w.d, w.card.id, {"employee_id": w.lone.id, "project_id": 999})
    w.app.org.set_active(w.d, w.lone.id, False)
    with pytest.raises(ValidationFailed):
        assign(w.curator.id, w.card.id, {"employee_id": w.lone.id})
    with pytest.raises(NotFound):
        assign(w.curator.id, 999, {"employee_id": w.emp.id})


def test_a_leader_of_the_clients_project_assigns_in_that_project_only(w):
    leader = w.app.org.add_employee(w.d, {"login": "leader", "password": PASSWORD,
                                          "full_name": "Лидеров А."})
    w.app.access.grant(w.d, leader.id, Role.PROJECT_LEADER, w.card.ref, project_id=w.project.id)
    w.cards.assign_responsible(leader.id, w.card.id, {"employee_id": w.lone.id,
                                                      "project_id": w.project.id})
    with pytest.raises(Forbidden):
        w.cards.assign_responsible(leader.id, w.card.id, {"employee_id": w.lone.id})


# -- import ------------------------------------------------------------------------------------------


ROWS = [
    {"type": "legal_entity", "name": "ПАО Сбербанк", "inn": "7707083893", "kpp": "773601001"},
    {"type": "legal_entity", "name": "Плохой ИНН", "inn": "7707083894"},
    {"type": "sole_proprietor", "name": "ИП Иванова", "inn": "500100732259",
     "phone": "8 913 123 45 67"},
    {"type": "", "name": "", "email": "x@"},
    {"type": "legal_entity", "name": "Сибирский банк", "inn": "7707083893", "kpp": "540602001"},
]


def test_import_reports_rejected_rows_and_saves_the_others_whole(w):
    progress = []
    report = w.cards.import_rows(w.d, w.clients.id, ROWS, batch=2, progress=progress.append)
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert [number for number, _ in report.rejected] == [2, 4]
    assert set(report.rejected[0][1]) == {"inn"}
    assert set(report.rejected[1][1]) >= {"type", "name", "email"}
    assert sum(progress) == len(ROWS)
    page = w.cards.catalog_page(w.d, w.clients.id)
    assert {r.counterparty.name for r in page.rows} == {
        "ООО «Альфа»", "ПАО Сбербанк", "ИП Иванова", "Сибирский банк"}
    imported = next(r.counterparty for r in page.rows if r.counterparty.name == "ИП Иванова")
    assert imported.phone == "+79131234567"
    assert w.app.history.of(w.d, imported.ref)[0].action == "ObjectCreated"


def test_importing_the_same_rows_again_creates_no_duplicates(w):
    w.cards.import_rows(w.d, w.clients.id, ROWS)
    again = w.cards.import_rows(w.d, w.clients.id, iter(ROWS))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert [n for n, _ in again.rejected] == [2, 4]
    changed = [dict(ROWS[0], legal_address="г Москва, ул Вавилова, д 19")]
    third = w.cards.import_rows(w.d, w.clients.id, changed)
    assert (third.created, third.updated) == (0, 1)
    assert w.cards.catalog_page(w.d, w.clients.id).total == 4


def test_import_needs_the_right_to_register_in_the_catalog(w):
    with pytest.raises(Forbidden):
        w.cards.import_rows(w.emp.id, w.clients.id, ROWS)
    with pytest.raises(NotFound):
        w.cards.import_rows(w.d, 999, ROWS)
    report = w.cards.import_rows(w.curator.id, w.clients.id, ROWS[:1])
    assert report.created == 1


# -- the register (CP-2) -------------------------------------------------------------------------------


SBER = RegistryRecord(
    inn="7707083893", name="ПАО СБЕРБАНК", type=CounterpartyType.LEGAL_ENTITY,
    status=OrganisationStatus.ACTIVE, kpp="773601001", ogrn="1027700132195",
    full_name='ПАО "СБЕРБАНК РОССИИ"', legal_address="г Москва, ул Вавилова, д 19",
    okved="64.19", head="Греф Герман Оскарович")


def test_from_registry_gives_the_card_fields(w):
    w.storage.registry.records[SBER.inn] = SBER
    fields = w.cards.from_registry(w.emp.id, " 7707083893 ")
    assert fields == {
        "inn": "7707083893", "name": "ПАО СБЕРБАНК", "type": "legal_entity",
        "status": "active", "kpp": "773601001", "ogrn": "1027700132195",
        "full_name": 'ПАО "СБЕРБАНК РОССИИ"', "legal_address": "г Москва, ул Вавилова, д 19",
        "okved": "64.19", "head": "Греф Герман Оскарович"}
    assert w.cards.parse(fields)  # they make a valid card as they are


def test_from_registry_not_found_unavailable_and_bad_inns(w):
    registry = w.storage.registry
    with pytest.raises(NotFound):
        w.cards.from_registry(w.d, "7707083893")
    registry.down = "the EGRUL service: request limit reached, try later"
    with pytest.raises(Unavailable) as err:
        w.cards.from_registry(w.d, "7707083893")
    assert err.value.message == registry.down
    asked = len(registry.asked)
    for inn in ("", "123", "7707083894", "500100732250", "x" * 12, None, ["7707083893"]):
        with pytest.raises(ValidationFailed) as bad:
            w.cards.from_registry(w.d, inn)
        assert set(bad.value.errors) == {"inn"}
    assert len(registry.asked) == asked  # bad INNs never reach the register


def inn10(n: int) -> str:
    digits = f"77{n:07d}"
    check = sum(w * int(d) for w, d in zip((2, 4, 10, 3, 5, 9, 4, 6, 8), digits, strict=True))
    return digits + str(check % 11 % 10)


def cards_with_inns(w, count):
    made = []
    for i in range(count):
        made.append(w.cards.register(w.d, {"catalog_id": w.clients.id, "type": "legal_entity",
                                           "name": f"Компания {i}", "inn": inn10(i + 1)}))
        w.storage.registry.records[made[-1].inn] = RegistryRecord(
            inn=made[-1].inn, name="x", type=CounterpartyType.LEGAL_ENTITY,
            status=OrganisationStatus.ACTIVE)
    return made


def test_recheck_goes_in_batches_and_ends_with_zero(w):
    made = cards_with_inns(w, 5)
    w.storage.registry.records[made[3].inn] = RegistryRecord(
        inn=made[3].inn, name="x", type=CounterpartyType.LEGAL_ENTITY,
        status=OrganisationStatus.BANKRUPT)
    first = w.cards.recheck_statuses(0, limit=2)
    assert first == (made[0].id, 0)  # the first batch: «Альфа» (no INN) and Компания 0
    second = w.cards.recheck_statuses(first[0], limit=2)
    assert second == (made[2].id, 0)
    third = w.cards.recheck_statuses(second[0], limit=2)
    assert third == (made[4].id, 1)
    assert w.cards.recheck_statuses(third[0], limit=2) == (0, 0)
    assert w.cards.get(w.d, made[3].id).status is OrganisationStatus.BANKRUPT
    [notice] = [m for m in w.app.messages.inbox(w.curator.id)
                if m.message_kind is MessageKind.NOTIFICATION]
    assert "признана банкротом" in notice.text and notice.subject_id == made[3].id


def test_recheck_raises_when_nothing_could_be_asked_and_resumes_mid_batch(w):
    made = cards_with_inns(w, 4)
    registry = w.storage.registry
    registry.down = "the EGRUL service is failing (HTTP 502); try later"
    with pytest.raises(RegistryUnavailable):
        w.cards.recheck_statuses(0, limit=10)  # the first card with an INN failed
    registry.down = None
    real = registry.find_by_inn

    def flaky(inn):
        if inn == made[2].inn:
            raise RegistryUnavailable("limit")
        return real(inn)

    registry.find_by_inn = flaky
    assert w.cards.recheck_statuses(0, limit=10) == (made[2].id - 1, 0)
    registry.find_by_inn = real
    assert w.cards.recheck_statuses(made[2].id - 1, limit=10) == (0, 0)


def test_recheck_leaves_unknown_statuses_and_unknown_companies_alone(w):
    made = cards_with_inns(w, 2)
    registry = w.storage.registry
    registry.records[made[0].inn] = RegistryRecord(
        inn=made[0].inn, name="x", type=CounterpartyType.LEGAL_ENTITY,
        status=OrganisationStatus.UNKNOWN)
    del registry.records[made[1].inn]
    assert w.cards.recheck_statuses(0, limit=10) == (0, 0)
    assert {w.cards.get(w.d, c.id).status for c in made} == {OrganisationStatus.ACTIVE}
