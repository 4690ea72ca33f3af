"""The client base's API on PostgreSQL (runs when ECRM_TEST_DATABASE_URL is set; CI sets
it): every operation once, search (pg_trgm) and duplicates, and generated bad input —
column types and lengths, constraints and transactions of the real server give no 500."""

from __future__ import annotations

import pytest

from tests.conftest import found, make_system
from tests.e2e.api_support import Api, build_org
from tests.e2e.clients_support import X_INN, build_clients, happy_run_clients
from tests.e2e.test_api_clients_fuzz import READS, WRITES
from tests.e2e.test_api_fuzz import fuzz_read, fuzz_write

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_world(pg_url, tmp_path):
    from ecrm_web.app import create_app

    system = make_system(pg_url, tmp_path)
    try:
        org = build_org(system, found(system))
        clients = build_clients(org)
        yield org, create_app(system, {"TESTING": True}), clients
    finally:
        system.close()


def test_every_client_operation_on_postgres(pg_world):
    org, app, _clients = pg_world
    happy_run_clients(app, org)


def test_search_and_duplicates_on_postgres(pg_world):
    org, app, cl = pg_world
    api = Api(app, org.tokens["plain"])
    assert [r["id"] for r in api.get("/counterparties", query={"q": "СИБИР"}
                                      ).get_json()["items"]] == [cl.x.id]
    assert [r["id"] for r in api.get("/counterparties", query={"q": "соколова"}
                                     ).get_json()["items"]] == [cl.x.id]
    assert [r["id"] for r in api.get("/counterparties", query={"q": X_INN[:5]}
                                     ).get_json()["items"]] == [cl.x.id]
    assert api.get("/counterparties", query={"q": "аб"}).status_code == 422
    found_ = api.get("/counterparties/duplicates", query={"email": "INFO@sib-les.ru",
                                                         "name": "Сибирский Лес"}).get_json()
    assert found_["items"][0]["reasons"] == ["email", "name"]


def test_generated_input_on_postgres(pg_world):
    org, app, _clients = pg_world
    for method, path, names, base in WRITES:
        fuzz_write(org, app, method, path, names, base)
    for path, names in READS:
        fuzz_read(org, app, path, names)
