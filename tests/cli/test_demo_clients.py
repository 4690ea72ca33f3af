"""`ecrm demo` loads a client base (issue 3): several thousand realistic counterparties
with valid INNs, KPPs and OGRNs, phones, e-mails and addresses in Russian cities, spread
over nested catalogs with curators; contacts for some, client managers for some
(through "assign responsible" with its confirmations — a few pending, one refused — or
granted by the Director), branches of federal chains, deletion marks; and (issue 5) its
contracts, requests and invoices; under a minute."""

from __future__ import annotations

import re
import time
from collections import Counter

from sqlalchemy import select

from ecrm_adapters import demo
from ecrm_adapters.sqlalchemy import tables as t
from ecrm_core.counterparties.requisites import inn_error, kpp_error, ogrn_error
from tests.cli.conftest import Ecrm
from tests.cli.test_demo import check_demo_sales
from tests.e2e.clients_support import valid_inn, valid_ogrn


def test_the_full_demo_client_base(cli_env):
    ecrm = Ecrm({**cli_env, "ECRM_DEMO_CLIENTS": None})
    started = time.monotonic()
    result = ecrm("demo")
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"ecrm demo took {elapsed:.0f} s"
    assert f"Client base: {demo.CLIENTS} counterparties" in result.output

    system = ecrm.system()
    try:
        with system.engine.connect() as conn:
            cards = conn.execute(select(t.counterparties)).mappings().all()
            catalogs = conn.execute(select(t.catalogs)).mappings().all()
            contacts = conn.execute(select(t.contacts)).mappings().all()
            roles = Counter(r.role for r in conn.execute(select(t.role_assignments)))
            states = Counter(a.state for a in conn.execute(select(t.curator_assignments)))
        director = system.app.access.directors()[0]
        found = system.app.counterparties.search(director.id, "техно")
        page = system.app.counterparties.catalog_page(director.id, catalogs[2]["id"])
    finally:
        system.close()

    assert len(cards) >= demo.CLIENTS
    # nested catalogs, each with a curator, the cards spread over them
    by_id = {c["id"]: c for c in catalogs}

    def depth(c):
        return 0 if c["parent_id"] is None else 1 + depth(by_id[c["parent_id"]])

    assert len(catalogs) == len(demo.CATALOGS)
    assert max(depth(c) for c in catalogs) == 2
    assert all(c["curator_id"] for c in catalogs)
    per_catalog = Counter(c["catalog_id"] for c in cards)
    assert len(per_catalog) >= 12 and max(per_catalog.values()) < len(cards) / 3

    # requisites: valid for the core and for the check computed in the tests
    types = Counter(c["type"] for c in cards)
    assert types["legal_entity"] > 3000 and types["sole_proprietor"] > 500 \
        and types["individual"] > 300
    for card in cards:
        kind = card["type"]
        if card["inn"]:
            assert inn_error(card["inn"], kind) is None and valid_inn(card["inn"]), card
        if card["ogrn"]:
            assert ogrn_error(card["ogrn"], kind) is None and valid_ogrn(card["ogrn"]), card
        if card["kpp"]:
            assert kpp_error(card["kpp"]) is None and card["kpp"][:2] in {
                city[1] for city in demo.CITIES}, card
        assert re.fullmatch(r"\+7\d{10}", card["phone"]), card
        assert not card["email"] or re.fullmatch(r"[a-z0-9._-]+@[a-z0-9.-]+\.[a-z]{2,}",
                                                 card["email"]), card
        assert "г. " in card["legal_address"], card
    legal = [c for c in cards if c["type"] == "legal_entity"]
    assert all(c["inn"] and c["kpp"] for c in legal)
    assert len({(c["inn"], c["kpp"]) for c in legal}) == len(legal)
    cities = Counter(re.search(r"г\. ([^,]+)", c["legal_address"]).group(1) for c in cards)
    assert len(cities) >= 15
    assert len({c["name_key"] for c in cards}) == len(cards), "no near-identical names"
    # branches of the federal chains: the parent's INN with a branch KPP
    branches = [c for c in cards if c["parent_id"]]
    assert len(branches) >= 10
    parents = {c["id"]: c for c in cards}
    assert all(b["inn"] == parents[b["parent_id"]]["inn"] and b["kpp"][4:6] == "43"
               for b in branches)
    assert Counter(c["status"] for c in cards)["liquidated"] > 10
    assert sum(c["deleted"] for c in cards) > 10

    assert len(contacts) > 300
    assert len({k["counterparty_id"] for k in contacts}) > 250
    assert roles["client_manager"] > 200 and roles["catalog_curator"] >= 5
    assert roles["client_registrar"] == len(demo.REGISTRARS)
    assert states == {"confirmed": demo.CONFIRMED_ASSIGNMENTS,
                      "pending": demo.PENDING_ASSIGNMENTS, "refused": 1}

    assert found.total > 20
    assert page.total > 0 and len(page.rows) == 20

    # issue 5: the sales documents of the full base, in every state
    system = ecrm.system()
    try:
        counts = check_demo_sales(system,
                                  {"draft", "issued", "partly_paid", "paid", "cancelled"},
                                  {"new", "in_work", "done", "cancelled"})
        with system.engine.connect() as conn:
            contracts = conn.execute(select(t.contracts)).mappings().all()
    finally:
        system.close()
    assert (len(contracts), counts["requests"], counts["invoices"]) == (
        demo.SALES_CONTRACTS, demo.SALES_REQUESTS, demo.SALES_INVOICES)
    assert counts["acts"] > 100
    assert len({c["counterparty_id"] for c in contracts}) > 200
    assert 0 < sum(c["draft"] for c in contracts) < len(contracts) / 2


def test_the_plan_is_the_same_every_time_and_scales():
    small = demo.plan_clients(200)
    assert small == demo.plan_clients(200)
    assert sum(len(rows) for rows in small.rows.values()) == 200
    assert demo.steps(200) < demo.steps(demo.CLIENTS)
