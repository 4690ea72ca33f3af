"""The EGRUL lookup through the DaData party API (CP-2) against a local HTTP server
(pytest-httpserver) answering like the real ``findById/party``: the request's shape,
the mapping of legal entities and sole proprietors, not found, 401/403, 429, 5xx, a
timeout, a refused connection and unreadable answers — and, through the service and the
web faces, that the user gets the fields whole or a clear message (503), never a
half-filled card."""

from __future__ import annotations

import json
import socket
import time

import pytest
from werkzeug import Response

from ecrm_adapters.bootstrap import make_registry
from ecrm_adapters.registries.dadata import DadataRegistry
from ecrm_adapters.registries.unconfigured import UnconfiguredRegistry
from ecrm_adapters.settings import DADATA_URL, Settings
from ecrm_core.counterparties.model import CounterpartyType, OrganisationStatus
from ecrm_core.counterparties.ports import RegistryRecord, RegistryUnavailable
from ecrm_core.kernel.errors import NotFound, Unavailable
from tests.conftest import found, make_system

BASE = "/suggestions/api/4_1/rs/"
PATH = BASE + "findById/party"
KEY = "0123456789abcdef0123456789abcdef01234567"
SBER_INN = "7707083893"
IP_INN = "500100732259"

#: Shaped like DaData's answer for ПАО Сбербанк (integrations.md), abridged.
SBERBANK = {
    "suggestions": [{
        "value": "ПАО СБЕРБАНК",
        "unrestricted_value": "ПАО СБЕРБАНК",
        "data": {
            "kpp": "773601001",
            "capital": None,
            "management": {"name": "Греф Герман Оскарович",
                           "post": "ПРЕЗИДЕНТ, ПРЕДСЕДАТЕЛЬ ПРАВЛЕНИЯ", "disqualified": None},
            "founders": None,
            "branch_type": "MAIN",
            "branch_count": 88,
            "source": None,
            "qc": None,
            "hid": "145a83ab38c9ad95889a7b894ea57a8f4b6a1b3a6bbe7a7e8e4a1e5b2c3d4e5f",
            "type": "LEGAL",
            "state": {"status": "ACTIVE", "code": None, "actuality_date": 1735689600000,
                      "registration_date": 677376000000, "liquidation_date": None},
            "opf": {"type": "2014", "code": "12247", "full": "Публичное акционерное общество",
                    "short": "ПАО"},
            "name": {"full_with_opf": 'ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО "СБЕРБАНК РОССИИ"',
                     "short_with_opf": "ПАО СБЕРБАНК", "latin": None,
                     "full": "СБЕРБАНК РОССИИ", "short": "СБЕРБАНК"},
            "inn": SBER_INN,
            "ogrn": "1027700132195",
            "okpo": "00032537",
            "okato": "45293554000",
            "oktmo": "45397000000",
            "okogu": "1500010",
            "okfs": "41",
            "okved": "64.19",
            "okveds": None,
            "ogrn_date": 824256000000,
            "okved_type": "2014",
            "employee_count": None,
            "address": {
                "value": "г Москва, ул Вавилова, д 19",
                "unrestricted_value": "117312, г Москва, Академический р-н, ул Вавилова, д 19",
                "invalidity": None,
                "data": {"postal_code": "117312", "country": "Россия",
                         "region_with_type": "г Москва", "street_with_type": "ул Вавилова",
                         "house": "19", "qc": None},
            },
            "phones": None,
            "emails": None,
        },
    }],
}

#: A sole proprietor: no KPP, no management, a ``fio``.
PROPRIETOR = {
    "suggestions": [{
        "value": "ИП Иванова Мария Петровна",
        "unrestricted_value": "ИП Иванова Мария Петровна",
        "data": {
            "kpp": None,
            "management": None,
            "branch_type": None,
            "branch_count": None,
            "type": "INDIVIDUAL",
            "state": {"status": "LIQUIDATED", "actuality_date": 1704067200000,
                      "registration_date": 1088640000000, "liquidation_date": 1704067200000},
            "opf": {"type": "2014", "code": "50102", "full": "Индивидуальный предприниматель",
                    "short": "ИП"},
            "name": {"full_with_opf": "Индивидуальный предприниматель Иванова Мария Петровна",
                     "short_with_opf": "ИП Иванова Мария Петровна", "latin": None,
                     "full": "Иванова Мария Петровна", "short": None},
            "fio": {"surname": "Иванова", "name": "Мария", "patronymic": "Петровна",
                    "gender": None, "source": None, "qc": None},
            "inn": IP_INN,
            "ogrn": "304500000000010",
            "okved": "47.91",
            "address": {"value": "Московская обл, г Балашиха",
                        "unrestricted_value": "143900, Московская обл, г Балашиха",
                        "data": {}},
        },
    }],
}


def registry(httpserver, timeout: float = 2.0, token: str = KEY) -> DadataRegistry:
    return DadataRegistry(httpserver.url_for(BASE), token, timeout=timeout)


def expect(httpserver, body: dict):
    return httpserver.expect_oneshot_request(
        PATH, method="POST", json=body,
        headers={"Authorization": f"Token {KEY}", "Content-Type": "application/json",
                 "Accept": "application/json"},
    )


def unavailable(call) -> str:
    with pytest.raises(RegistryUnavailable) as err:
        call()
    message = str(err.value)
    assert KEY not in message
    return message


# -- the adapter -------------------------------------------------------------------------------


def test_a_legal_entity_by_inn(httpserver):
    expect(httpserver, {"query": SBER_INN, "branch_type": "MAIN"}).respond_with_json(SBERBANK)
    record = registry(httpserver).find_by_inn(SBER_INN)
    httpserver.check_assertions()
    assert record == RegistryRecord(
        inn=SBER_INN, name="ПАО СБЕРБАНК", type=CounterpartyType.LEGAL_ENTITY,
        status=OrganisationStatus.ACTIVE, kpp="773601001", ogrn="1027700132195",
        full_name='ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО "СБЕРБАНК РОССИИ"',
        legal_address="г Москва, ул Вавилова, д 19", okved="64.19",
        head="Греф Герман Оскарович")


def test_a_sole_proprietor_by_inn(httpserver):
    expect(httpserver, {"query": IP_INN, "type": "INDIVIDUAL"}).respond_with_json(PROPRIETOR)
    record = registry(httpserver).find_by_inn(IP_INN)
    httpserver.check_assertions()
    assert record == RegistryRecord(
        inn=IP_INN, name="ИП Иванова Мария Петровна", type=CounterpartyType.SOLE_PROPRIETOR,
        status=OrganisationStatus.LIQUIDATED, kpp="", ogrn="304500000000010",
        full_name="Индивидуальный предприниматель Иванова Мария Петровна",
        legal_address="Московская обл, г Балашиха", okved="47.91",
        head="Иванова Мария Петровна")


def test_nobody_with_that_inn_is_none(httpserver):
    expect(httpserver, {"query": SBER_INN, "branch_type": "MAIN"}).respond_with_json(
        {"suggestions": []})
    assert registry(httpserver).find_by_inn(SBER_INN) is None


@pytest.mark.parametrize(("given", "status"), [
    ("ACTIVE", OrganisationStatus.ACTIVE),
    ("LIQUIDATING", OrganisationStatus.LIQUIDATING),
    ("LIQUIDATED", OrganisationStatus.LIQUIDATED),
    ("BANKRUPT", OrganisationStatus.BANKRUPT),
    ("REORGANIZING", OrganisationStatus.REORGANISING),
    ("SOMETHING_NEW", OrganisationStatus.UNKNOWN),
    (None, OrganisationStatus.UNKNOWN),
])
def test_register_statuses_map_and_unknown_ones_are_unknown(httpserver, given, status):
    answer = json.loads(json.dumps(SBERBANK))
    answer["suggestions"][0]["data"]["state"]["status"] = given
    httpserver.expect_request(PATH, method="POST").respond_with_json(answer)
    assert registry(httpserver).find_by_inn(SBER_INN).status is status


def test_the_head_organisation_is_chosen_over_branches(httpserver):
    branch = json.loads(json.dumps(SBERBANK["suggestions"][0]))
    branch["data"].update(branch_type="BRANCH", kpp="540602001")
    branch["data"]["name"]["short_with_opf"] = "СИБИРСКИЙ БАНК ПАО СБЕРБАНК"
    answer = {"suggestions": [branch, SBERBANK["suggestions"][0]]}
    httpserver.expect_request(PATH, method="POST").respond_with_json(answer)
    record = registry(httpserver).find_by_inn(SBER_INN)
    assert (record.name, record.kpp) == ("ПАО СБЕРБАНК", "773601001")


def test_missing_parts_give_empty_fields_not_errors(httpserver):
    answer = {"suggestions": [{"value": "ООО Ромашка", "data": {
        "inn": "7701234567", "type": "LEGAL", "name": None, "state": None, "address": None,
        "management": None, "kpp": None, "ogrn": None, "okved": None}}]}
    httpserver.expect_request(PATH, method="POST").respond_with_json(answer)
    record = registry(httpserver).find_by_inn("7701234567")
    assert record == RegistryRecord(inn="7701234567", name="ООО Ромашка",
                                    type=CounterpartyType.LEGAL_ENTITY,
                                    status=OrganisationStatus.UNKNOWN)


@pytest.mark.parametrize("code", [401, 403])
def test_a_refused_key_says_so(httpserver, code):
    httpserver.expect_request(PATH, method="POST").respond_with_json(
        {"family": "CLIENT_ERROR", "reason": "Forbidden"}, status=code)
    message = unavailable(lambda: registry(httpserver).find_by_inn(SBER_INN))
    assert message.startswith("the EGRUL service refused the key")
    assert "ECRM_REGISTRY_TOKEN" in message


def test_the_request_limit_says_try_later(httpserver):
    httpserver.expect_request(PATH, method="POST").respond_with_data(
        "Too Many Requests", status=429)
    message = unavailable(lambda: registry(httpserver).find_by_inn(SBER_INN))
    assert message == "the EGRUL service: request limit reached, try later"


@pytest.mark.parametrize("code", [500, 502, 503])
def test_server_errors_say_the_service_is_failing(httpserver, code):
    httpserver.expect_request(PATH, method="POST").respond_with_data("oops", status=code)
    message = unavailable(lambda: registry(httpserver).find_by_inn(SBER_INN))
    assert message == f"the EGRUL service is failing (HTTP {code}); try later"


def test_another_client_error_names_the_url_setting(httpserver):
    httpserver.expect_request(PATH, method="POST").respond_with_data("no", status=404)
    message = unavailable(lambda: registry(httpserver).find_by_inn(SBER_INN))
    assert "HTTP 404" in message and "ECRM_REGISTRY_URL" in message


def test_a_slow_service_times_out(httpserver):
    def slow(_request):
        time.sleep(1.0)
        return Response(json.dumps(SBERBANK), content_type="application/json")

    httpserver.expect_request(PATH, method="POST").respond_with_handler(slow)
    started = time.monotonic()
    message = unavailable(lambda: registry(httpserver, timeout=0.3).find_by_inn(SBER_INN))
    assert time.monotonic() - started < 0.9
    assert message == "the EGRUL service did not answer within 0.3 seconds; try later"


@pytest.mark.parametrize("body", [
    b"<html>Bad gateway</html>",
    b'{"suggestions": [',
    b"\xff\xfe\x00",
    b"[]",
    b'{"suggestions": "none"}',
    b'{"suggestions": [{"value": "x", "data": "x"}]}',
    b'{"suggestions": [{"value": "", "data": {"inn": "7707083893", "name": {}}}]}',
    b'{"suggestions": [{"value": "X", "data": {"inn": "7707083893", "state": "ACTIVE"}}]}',
])
def test_an_unreadable_answer_is_a_clear_message(httpserver, body):
    httpserver.expect_request(PATH, method="POST").respond_with_data(
        body, content_type="application/json")
    message = unavailable(lambda: registry(httpserver).find_by_inn(SBER_INN))
    assert message == "the EGRUL service sent an answer ECRM cannot read; try later"


def test_nothing_listening_is_a_clear_message():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gateway = DadataRegistry(f"http://127.0.0.1:{port}/rs/", KEY, timeout=2)
    message = unavailable(lambda: gateway.find_by_inn(SBER_INN))
    assert message.startswith("cannot reach the EGRUL service (")


def test_a_base_url_without_the_trailing_slash_works(httpserver):
    expect(httpserver, {"query": SBER_INN, "branch_type": "MAIN"}).respond_with_json(SBERBANK)
    gateway = DadataRegistry(httpserver.url_for(BASE.rstrip("/")), KEY)
    assert gateway.find_by_inn(SBER_INN).ogrn == "1027700132195"


@pytest.mark.parametrize(("url", "token", "timeout"), [
    ("ftp://example.ru/", KEY, 5), ("suggestions.dadata.ru", KEY, 5), ("", KEY, 5),
    (DADATA_URL, "", 5), (DADATA_URL, "two words", 5), (DADATA_URL, "key\r\nX-Evil: 1", 5),
    (DADATA_URL, KEY, 0),
])
def test_bad_settings_are_refused_at_start(url, token, timeout):
    with pytest.raises(ValueError):
        DadataRegistry(url, token, timeout=timeout)


def test_the_key_is_not_shown():
    assert KEY not in repr(DadataRegistry(DADATA_URL, KEY))


# -- settings and wiring -----------------------------------------------------------------------


def test_settings_read_the_registry_variables(tmp_path):
    base = {"ECRM_DATA_DIR": str(tmp_path)}
    default = Settings.from_env(base)
    assert (default.registry_url, default.registry_token, default.registry_timeout,
            default.registry_recheck_hours) == (DADATA_URL, "", 5.0, 24.0)
    assert isinstance(make_registry(default), UnconfiguredRegistry)
    custom = Settings.from_env(base | {
        "ECRM_REGISTRY_URL": "http://127.0.0.1:9/rs/", "ECRM_REGISTRY_TOKEN": f" {KEY} ",
        "ECRM_REGISTRY_TIMEOUT": "2.5", "ECRM_REGISTRY_RECHECK_HOURS": "0"})
    assert (custom.registry_token, custom.registry_timeout,
            custom.registry_recheck_hours) == (KEY, 2.5, 0.0)
    gateway = make_registry(custom)
    assert isinstance(gateway, DadataRegistry)
    assert (gateway.url, gateway.timeout) == ("http://127.0.0.1:9/rs/findById/party", 2.5)


@pytest.mark.parametrize(("name", "value"), [
    ("ECRM_REGISTRY_TIMEOUT", "soon"), ("ECRM_REGISTRY_TIMEOUT", "0"),
    ("ECRM_REGISTRY_TIMEOUT", "-1"), ("ECRM_REGISTRY_TIMEOUT", "nan"),
    ("ECRM_REGISTRY_RECHECK_HOURS", "-2"), ("ECRM_REGISTRY_RECHECK_HOURS", "inf"),
    ("ECRM_REGISTRY_RECHECK_HOURS", "daily"),
])
def test_bad_numbers_in_settings_name_the_variable(tmp_path, name, value):
    with pytest.raises(ValueError, match=name):
        Settings.from_env({"ECRM_DATA_DIR": str(tmp_path), name: value})


def test_unconfigured_lookups_say_what_to_set():
    message = unavailable(lambda: UnconfiguredRegistry().find_by_inn(SBER_INN))
    assert "ECRM_REGISTRY_TOKEN" in message


# -- through the service and the faces -----------------------------------------------------------


@pytest.fixture
def egrul(sqlite_url, tmp_path, httpserver):
    """A system whose register is the local server (the settings behind
    ECRM_REGISTRY_URL and ECRM_REGISTRY_TOKEN), and its Director."""
    system = make_system(sqlite_url, tmp_path, settings={
        "registry_url": httpserver.url_for(BASE), "registry_token": KEY,
        "registry_timeout": 1.0})
    director = found(system)
    yield system, director
    system.close()


def test_fill_a_card_from_the_register_and_save_it(egrul, httpserver):
    system, director = egrul
    assert isinstance(system.app.counterparties.registry, DadataRegistry)
    expect(httpserver, {"query": SBER_INN, "branch_type": "MAIN"}).respond_with_json(SBERBANK)
    fields = system.app.counterparties.from_registry(director.id, f" {SBER_INN} ")
    assert fields == {
        "inn": SBER_INN, "name": "ПАО СБЕРБАНК", "type": "legal_entity", "status": "active",
        "kpp": "773601001", "ogrn": "1027700132195",
        "full_name": 'ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО "СБЕРБАНК РОССИИ"',
        "legal_address": "г Москва, ул Вавилова, д 19", "okved": "64.19",
        "head": "Греф Герман Оскарович"}
    catalog = system.app.catalogs.create(director.id, {"name": "Банки"})
    card = system.app.counterparties.register(director.id, fields | {"catalog_id": catalog.id})
    assert (card.inn, card.kpp, card.ogrn, card.status) == (
        SBER_INN, "773601001", "1027700132195", OrganisationStatus.ACTIVE)


def test_a_sole_proprietors_fields_make_a_valid_card(egrul, httpserver):
    system, director = egrul
    expect(httpserver, {"query": IP_INN, "type": "INDIVIDUAL"}).respond_with_json(PROPRIETOR)
    fields = system.app.counterparties.from_registry(director.id, IP_INN)
    assert (fields["type"], fields["kpp"], fields["head"]) == (
        "sole_proprietor", "", "Иванова Мария Петровна")
    catalog = system.app.catalogs.create(director.id, {"name": "ИП"})
    card = system.app.counterparties.register(director.id, fields | {"catalog_id": catalog.id})
    assert card.type is CounterpartyType.SOLE_PROPRIETOR


def test_not_in_the_register_is_not_found(egrul, httpserver):
    system, director = egrul
    httpserver.expect_request(PATH, method="POST").respond_with_json({"suggestions": []})
    with pytest.raises(NotFound):
        system.app.counterparties.from_registry(director.id, SBER_INN)


@pytest.mark.parametrize(("status", "words"), [
    (401, "refused the key"), (429, "request limit reached"), (500, "failing (HTTP 500)")])
def test_an_outage_is_unavailable_and_nothing_is_half_filled(egrul, httpserver, status, words):
    system, director = egrul
    httpserver.expect_request(PATH, method="POST").respond_with_data("x", status=status)
    with pytest.raises(Unavailable) as err:
        system.app.counterparties.from_registry(director.id, SBER_INN)
    assert words in err.value.message
    assert system.app.counterparties.search(director.id, SBER_INN).total == 0


def test_a_bad_inn_is_refused_before_the_register_is_asked(egrul, httpserver):
    from ecrm_core.kernel.errors import ValidationFailed

    system, director = egrul
    for inn in ("", "77070838", "7707083894", "abc", None, 7707083893):
        with pytest.raises(ValidationFailed) as err:
            system.app.counterparties.from_registry(director.id, inn)
        assert set(err.value.errors) == {"inn"}
    assert httpserver.log == []


def test_the_faces_answer_503_with_the_message(egrul, httpserver):
    """errors.py maps Unavailable to 503: the JSON body carries the message for /api/
    paths, the error page shows it otherwise."""
    from flask import request

    from ecrm_web.app import create_app

    system, director = egrul
    httpserver.expect_request(PATH, method="POST").respond_with_data("x", status=429)
    flask_app = create_app(system, {"TESTING": True})

    def lookup():
        return system.app.counterparties.from_registry(director.id, request.args["inn"])

    flask_app.add_url_rule("/api/v1/_test_egrul", "test_egrul_api", lookup)
    flask_app.add_url_rule("/_test_egrul", "test_egrul_ui", lookup)
    client = flask_app.test_client()
    answer = client.get(f"/api/v1/_test_egrul?inn={SBER_INN}")
    assert answer.status_code == 503
    assert "request limit reached" in json.dumps(answer.get_json(), ensure_ascii=False)
    assert client.get(f"/_test_egrul?inn={SBER_INN}").status_code == 503  # in Russian
    client.set_cookie("lang", "en")
    page = client.get(f"/_test_egrul?inn={SBER_INN}")
    assert page.status_code == 503
    assert "request limit reached" in page.get_data(as_text=True)


def test_the_api_lookup_through_the_local_register(egrul, httpserver):
    """GET /api/v1/registry/<inn>: the fields, 404 when the register has nobody, 503 with
    the message when it cannot answer."""
    from ecrm_web.app import create_app

    system, director = egrul
    _record, token = system.app.auth.create_api_token(director.id, director.id, "egrul")
    client = create_app(system, {"TESTING": True}).test_client()
    headers = {"Authorization": f"Bearer {token}"}
    expect(httpserver, {"query": SBER_INN, "branch_type": "MAIN"}).respond_with_json(SBERBANK)
    answer = client.get(f"/api/v1/registry/{SBER_INN}", headers=headers)
    assert answer.status_code == 200
    assert answer.get_json()["kpp"] == "773601001"
    assert answer.get_json()["head"] == "Греф Герман Оскарович"
    expect(httpserver, {"query": SBER_INN, "branch_type": "MAIN"}).respond_with_json(
        {"suggestions": []})
    assert client.get(f"/api/v1/registry/{SBER_INN}", headers=headers).status_code == 404
    expect(httpserver, {"query": SBER_INN, "branch_type": "MAIN"}).respond_with_data(
        "", status=403)
    refused = client.get(f"/api/v1/registry/{SBER_INN}", headers=headers)
    assert refused.status_code == 503
    assert "refused the key" in json.dumps(refused.get_json())
    assert KEY not in refused.get_data(as_text=True)
    assert client.get("/api/v1/registry/12345", headers=headers).status_code == 422
