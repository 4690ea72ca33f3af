"""The OpenAPI document of /api/v1 matches what the endpoints do (issue 2, point 8):
it validates as OpenAPI 3.1, it describes exactly the rules the app serves, and a
happy-path run of every operation answers with documented statuses and bodies that
validate against the documented schemas (checked by ``Api`` on every call)."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from ecrm_web.api.openapi import document
from tests.e2e import api_support
from tests.e2e.api_support import PREFIX, Api, build_org, doc_path
from tests.e2e.clients_support import happy_run_clients
from tests.e2e.deals_support import happy_run_deals
from tests.e2e.orders_support import happy_run_orders
from tests.e2e.sales_support import happy_run_sales
from tests.e2e.tasks_support import happy_run_tasks

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def org(system, director):
    return build_org(system, director)


def test_the_document_is_valid_openapi_3_1():
    doc = document()
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_the_document_is_served_without_credentials(app):
    response = app.test_client().get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == document()


def test_every_rule_is_documented_and_every_documented_operation_exists(app):
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        for method in rule.methods - IGNORED_METHODS:
            served.add((doc_path(rule.rule), method.lower()))
    documented = {
        (path, method)
        for path, item in document()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert served - documented == set(), "served but not documented"
    assert documented - served == set(), "documented but not served"


def test_path_parameters_are_documented_for_every_path():
    for path, item in document()["paths"].items():
        names = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        for method, operation in item.items():
            declared = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "path"}
            assert declared == names, f"{method} {path}"


def test_the_named_component_schemas_exist():
    schemas = document()["components"]["schemas"]
    for name in ("Employee", "Department", "Project", "ServiceType", "Service",
                 "RoleAssignment", "Message", "HistoryEntry", "ApiToken", "Error",
                 "ValidationError", "Task", "TaskPage", "TaskType", "EscalationRule"):
        assert name in schemas
    schemes = document()["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer"
    assert schemes["cookie"]["in"] == "cookie"


def test_secrets_are_not_in_any_schema():
    text = str(document()["components"]["schemas"])
    assert "password_hash" not in text
    assert "token_digest" not in text


def test_a_happy_run_of_every_operation_matches_the_document(app, org, system):
    """Calls every documented operation once with good input; ``Api`` validates each
    answer against the document, and every operation must have answered 2xx."""
    api_support.SEEN.clear()
    boss = Api(app, org.tokens["director"])
    admin = Api(app, org.tokens["admin_a"])

    assert app.test_client().get(f"{PREFIX}/openapi.json").status_code == 200
    api_support.check_against_document(
        app, "GET", f"{PREFIX}/openapi.json", app.test_client().get(f"{PREFIX}/openapi.json")
    )
    assert boss.get("/csrf-token").status_code == 200

    me = boss.get("/me").get_json()
    assert boss.patch("/me", {"version": me["version"], "phone": "+7 495 123-45-67"}
                      ).status_code == 200
    assert boss.post("/me/password", {"current_password": "director-pass",
                                      "password": "new-director-pass"}).status_code == 204

    company = boss.get("/company").get_json()
    assert boss.patch("/company", {"version": company["version"], "name": "ООО «Ромашка»"}
                      ).status_code == 200

    assert boss.get("/employees", query={"department_id": org.dep_a.id, "active": "true",
                                         "q": "анна"}).status_code == 200
    new = boss.post("/employees", {"login": "new.one", "password": "password-2",
                                   "full_name": "Новиков Денис", "department_id": org.dep_a.id})
    assert new.status_code == 201
    emp = new.get_json()
    assert boss.get(f"/employees/{emp['id']}").status_code == 200
    assert boss.patch(f"/employees/{emp['id']}", {"version": emp["version"],
                                                  "position": "Инженер"}).status_code == 200
    assert boss.post(f"/employees/{emp['id']}/password",
                     {"password": "password-3"}).status_code == 204
    assert boss.post(f"/employees/{emp['id']}/disable").status_code == 200
    assert boss.post(f"/employees/{emp['id']}/enable").status_code == 200

    assert boss.get("/departments").status_code == 200
    dep = boss.post("/departments", {"name": "Логистика"}).get_json()
    assert boss.get(f"/departments/{dep['id']}").status_code == 200
    assert boss.patch(f"/departments/{dep['id']}", {"version": dep["version"],
                                                    "description": "Склады"}).status_code == 200

    assert boss.get("/projects").status_code == 200
    proj = boss.post("/projects", {"name": "Госзаказ"}).get_json()
    assert boss.get(f"/projects/{proj['id']}").status_code == 200
    assert boss.patch(f"/projects/{proj['id']}", {"version": proj["version"],
                                                  "active": False}).status_code == 200

    assert boss.get("/service-types").status_code == 200
    stype = boss.post("/service-types", {"code": "delivery", "name": "Доставка"}).get_json()
    assert boss.patch(f"/service-types/{stype['id']}", {"version": stype["version"],
                                                        "description": "По Москве"}
                      ).status_code == 200
    service = boss.post("/services", {"owner": f"employee:{org.worker_a.id}",
                                      "service_type_id": stype["id"]}).get_json()
    assert boss.get("/services", query={"owner": f"employee:{org.worker_a.id}"}
                    ).status_code == 200
    assert boss.patch(f"/services/{service['id']}", {"available": False}).status_code == 200
    assert boss.post(f"/services/{service['id']}/close").status_code == 200

    assert boss.get("/role-assignments", query={"employee_id": org.admin_a.id,
                                                "scope": f"department:{org.dep_a.id}"}
                    ).status_code == 200
    grant = boss.post("/role-assignments", {"employee_id": org.plain.id,
                                            "role": "administrator",
                                            "scope": f"department:{org.dep_b.id}"})
    assert grant.status_code == 201
    assert boss.delete(f"/role-assignments/{grant.get_json()['id']}").status_code == 204

    ask = boss.post("/messages", {"recipient_id": org.admin_a.id, "kind": "confirmation",
                                  "text": "Подтвердите отгрузку"}).get_json()
    ask2 = boss.post("/messages", {"recipient_id": org.admin_a.id, "kind": "confirmation",
                                   "text": "Подтвердите скидку"}).get_json()
    assert admin.get("/messages", query={"unread": "true", "page": 1, "per_page": 10}
                     ).status_code == 200
    assert admin.get("/messages/unread-count").status_code == 200
    assert admin.get(f"/messages/{ask['id']}").status_code == 200
    assert admin.post(f"/messages/{ask['id']}/read").status_code == 200
    assert admin.post(f"/messages/{ask['id']}/confirm").status_code == 200
    assert admin.post(f"/messages/{ask2['id']}/refuse", {"reason": "Слишком много"}
                      ).status_code == 200

    assert boss.get(f"/history/employee/{emp['id']}").status_code == 200

    assert boss.get("/tokens").status_code == 200
    token = boss.post("/tokens", {"name": "скрипт выгрузки"}).get_json()
    assert boss.delete(f"/tokens/{token['id']}").status_code == 204

    happy_run_clients(app, org)  # catalogs, counterparties, contacts (issue 3)
    happy_run_tasks(app, org)  # tasks, typical tasks, escalation rules (issue 4)
    happy_run_sales(app, org)  # goods, prices, contracts, requests, invoices, documents
    happy_run_deals(app, org)  # deal templates, the calendar, deals, board, forecast
    happy_run_orders(app, org)  # orders, approval routes, rounds, billing hand-offs

    answered = {(path, method) for path, method, status in api_support.SEEN
                if 200 <= status < 300}
    documented = {(path, method) for path, item in document()["paths"].items()
                  for method in item}
    assert documented - answered == set(), "operations without a happy-path run"
