"""The tasks API on PostgreSQL (runs when ECRM_TEST_DATABASE_URL is set; CI sets it): every
operation once; the Tasks tabs' filters and pages (the ordering and counting of the real
server); the stale version; the rights matrix's refusals (403, and every table and the
history unchanged, through real transactions); generated bad input gives no 500."""

from __future__ import annotations

import pytest

from tests.conftest import found, make_system
from tests.e2e import test_api_tasks as api_tests
from tests.e2e.api_support import Api, build_org
from tests.e2e.clients_support import build_clients
from tests.e2e.tasks_support import build_tasks, happy_run_tasks, task_snapshot
from tests.e2e.test_api_fuzz import fuzz_read, fuzz_write
from tests.e2e.test_api_tasks_fuzz import READS, WRITES, seed_rules
from tests.e2e.test_api_tasks_policy import ACTORS, CASES

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_world(pg_url, tmp_path):
    from ecrm_web.app import create_app

    system = make_system(pg_url, tmp_path)
    try:
        org = build_org(system, found(system))
        clients = build_clients(org)
        tasks = build_tasks(org, clients)
        yield org, create_app(system, {"TESTING": True}), clients, tasks
    finally:
        system.close()


def test_every_tasks_operation_on_postgres(pg_world):
    org, app, _clients, _tasks = pg_world
    happy_run_tasks(app, org)


def test_the_tasks_tabs_on_postgres(pg_world):
    org, app, cl, tw = pg_world
    many = api_tests.seed_many(org, tw, cl)
    api_tests.test_the_personal_tab_pages_by_ten(app, org, many)
    api_tests.test_the_personal_tab_filters(app, org, tw, cl, many)
    api_tests.test_bad_filters_are_named(app, org)
    api_tests.test_the_counterparty_tab_shows_everyones_tasks_about_it(app, org, tw, cl, many)
    api_tests.test_the_calendar(app, org, tw, many)
    api_tests.test_the_contact_history_merges_tasks_and_card_changes(app, org, tw, cl)


def test_versions_on_postgres(pg_world):
    org, app, _cl, tw = pg_world
    api_tests.test_rescheduling_moves_the_deadline_and_is_in_the_history(app, org, tw)
    api_tests.test_a_stale_version_is_409_and_changes_nothing(app, org, tw)
    api_tests.test_deleting_with_the_version(app, org, tw)
    api_tests.test_a_rule_that_has_escalated_can_be_closed_or_deleted(app, org, tw)


@pytest.mark.parametrize("actor", ["colleague", "outsider", "admin"])
def test_refusals_change_nothing_on_postgres(pg_world, actor):
    """A refused request changes nothing, so one world serves every case of the actor."""
    org, app, clients, tasks = pg_world
    api = Api(app, org.tokens[ACTORS[actor]])
    for action in CASES:
        before = task_snapshot(org.system)
        response = action.call(api, org, clients, tasks)
        after = task_snapshot(org.system)
        if actor in action.allowed:
            assert response.status_code in (200, 201, 204), (action.name, response.get_json())
        else:
            assert response.status_code == 403, (action.name, response.get_json())
            assert after == before, action.name


def test_generated_input_on_postgres(pg_world):
    org, app, _clients, _tasks = pg_world
    seed_rules(org)
    for method, path, names, base in WRITES:
        fuzz_write(org, app, method, path, names, base)
    for path, names in READS:
        fuzz_read(org, app, path, names)
