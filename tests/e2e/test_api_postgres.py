"""The API on PostgreSQL (runs when ECRM_TEST_DATABASE_URL is set; CI sets it): the
happy run of every operation and the generated bad input, so that column types and
lengths, constraints and transactions of the real server give no 500 either."""

from __future__ import annotations

import pytest

from tests.conftest import found, make_system
from tests.e2e.api_support import build_org
from tests.e2e.test_api_fuzz import READS, WRITES, fuzz_read, fuzz_write, seed_messages
from tests.e2e.test_api_openapi import (
    test_a_happy_run_of_every_operation_matches_the_document as happy_run,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_world(pg_url, tmp_path):
    from ecrm_web.app import create_app

    system = make_system(pg_url, tmp_path)
    try:
        org = build_org(system, found(system))
        yield org, create_app(system, {"TESTING": True})
    finally:
        system.close()


def test_every_operation_on_postgres(pg_world):
    org, app = pg_world
    happy_run(app, org, org.system)


def test_generated_input_on_postgres(pg_world):
    org, app = pg_world
    seed_messages(org)
    for method, path, names, base in WRITES:
        fuzz_write(org, app, method, path, names, base)
    for path, names in READS:
        fuzz_read(org, app, path, names)
