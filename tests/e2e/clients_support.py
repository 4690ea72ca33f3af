"""Helpers of the client-base API tests (tests/e2e/test_api_clients*.py).

- Russian requisites with their check digits computed here (independently of the core
  and of the demo data): ``legal_inn``, ``person_inn``, ``ogrn``, ``ogrnip``, and
  ``broken`` (one digit changed, so the checksum no longer matches).
- ``build_clients``: catalogs and cards on top of ``api_support.build_org``: a top
  catalog «Клиенты» (the Director's), «Новосибирск» nested in it and curated by
  worker_a, «Москва» nested in it and curated by the Director; card X in Новосибирск
  whose client manager is worker_b (with a contact), card Y in Москва.
- ``happy_run_clients``: every client-base operation of the API once with good input
  (the OpenAPI test calls it so that every documented operation has answered 2xx).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import attrs

from ecrm_core.counterparties.model import CounterpartyType, OrganisationStatus
from ecrm_core.counterparties.ports import RegistryRecord
from ecrm_core.kernel.refs import ObjectRef
from tests.e2e.api_support import PREFIX, Api, build_org, check_against_document
from tests.fakes import FakeRegistry

# -- requisites with check digits ------------------------------------------------------------

W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10)


def legal_inn(nine: str) -> str:
    """A legal entity's INN: nine digits and the check digit."""
    return nine + _check(nine, W10)


def person_inn(ten: str) -> str:
    """An individual's (or sole proprietor's) INN: ten digits and two check digits."""
    eleven = ten + _check(ten, W11)
    return eleven + _check(eleven, W12)


def ogrn(twelve: str) -> str:
    return twelve + str(int(twelve) % 11 % 10)


def ogrnip(fourteen: str) -> str:
    return fourteen + str(int(fourteen) % 13 % 10)


def broken(value: str, position: int = -1) -> str:
    """The same number with one digit changed (by default the check digit, which always
    breaks the checksum; another digit may, through "mod 11 mod 10", happen to keep it:
    ``valid_inn`` / ``valid_ogrn`` say which)."""
    digits = list(value)
    digits[position] = str((int(digits[position]) + 1) % 10)
    return "".join(digits)


def valid_inn(value: str) -> bool:
    """The INN check computed here (10 digits: one check digit, 12: two)."""
    if not value.isdigit():
        return False
    if len(value) == 10:
        return _check(value[:9], W10) == value[9]
    if len(value) == 12:
        return _check(value[:10], W11) == value[10] and _check(value[:11], W12) == value[11]
    return False


def valid_ogrn(value: str) -> bool:
    if not value.isdigit():
        return False
    if len(value) == 13:
        return int(value[:12]) % 11 % 10 == int(value[12])
    if len(value) == 15:  # an OGRNIP: the sign of an individual entrepreneur, 3, first
        return value[0] == "3" and int(value[:14]) % 13 % 10 == int(value[14])
    return False


# a PNG of 1x1 pixel
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00" \
      b"\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


# -- a client base on top of the organisation -----------------------------------------------


@attrs.frozen
class Clients:
    top: Any
    nsk: Any
    msk: Any
    x: Any
    y: Any
    contact: Any

    @property
    def curator(self) -> str:
        return "worker_a"

    @property
    def manager(self) -> str:
        return "worker_b"


X_INN = legal_inn("540612345")
Y_INN = legal_inn("770412345")


def build_clients(org) -> Clients:
    app = org.system.app
    d = org.director.id
    top = app.catalogs.create(d, {"name": "Клиенты", "description": "Все клиенты"})
    nsk = app.catalogs.create(d, {"name": "Новосибирск", "parent_id": top.id,
                                  "curator_id": org.worker_a.id})
    msk = app.catalogs.create(d, {"name": "Москва", "parent_id": top.id})
    x = app.counterparties.register(d, {
        "catalog_id": nsk.id, "type": "legal_entity", "name": "ООО «Сибирский лес»",
        "inn": X_INN, "kpp": "540601001", "ogrn": ogrn("102540000001"),
        "phone": "+7 383 212-00-01", "email": "info@sib-les.ru",
        "legal_address": "630099, г. Новосибирск, ул. Ленина, д. 1"})
    y = app.counterparties.register(d, {
        "catalog_id": msk.id, "type": "legal_entity", "name": "АО «Московский завод»",
        "inn": Y_INN, "phone": "+7 495 100-00-02", "email": "office@mzavod.ru"})
    app.access.grant(d, org.worker_b.id, "client_manager", ObjectRef("counterparty", x.id))
    contact = app.counterparties.add_contact(d, x.id, {
        "full_name": "Соколова Марина Игоревна", "position": "Главный бухгалтер",
        "phones": ["+7 913 000-11-22"], "emails": ["buh@sib-les.ru"]})
    return Clients(top, nsk, msk, x, y, contact)


def make_clients_template(base_dir: Path, migrated_db: Path):
    """The organisation and the client base, built once into a database file (tests copy
    it with ``api_support.copy_of``); returns ((path, org), clients)."""
    from tests.conftest import found, make_system

    path = base_dir / "clients.db"
    shutil.copy(migrated_db, path)
    system = make_system(f"sqlite:///{path}", base_dir)
    try:
        org = build_org(system, found(system))
        clients = build_clients(org)
    finally:
        system.close()
    return (path, org), clients


def fake_registry(org) -> FakeRegistry:
    """Put a fake state register into the running system (it knows the INN of
    ``REGISTRY_INN``) and return it; ``.down = "…"`` simulates an outage."""
    registry = FakeRegistry()
    registry.records[REGISTRY_INN] = RegistryRecord(
        inn=REGISTRY_INN, name="ООО «Вектор»", type=CounterpartyType.LEGAL_ENTITY,
        status=OrganisationStatus.ACTIVE, kpp="540601001", ogrn=ogrn("102540000077"),
        full_name="Общество с ограниченной ответственностью «Вектор»",
        legal_address="630004, г. Новосибирск, ул. Ленина, д. 7", okved="62.01",
        head="Иванов Иван Иванович")
    org.system.app.counterparties.registry = registry
    return registry


REGISTRY_INN = legal_inn("540600077")


def raw(api: Api, method: str, path: str, body: bytes, content_type: str, check=True):
    """A request with a non-JSON body (a photo), checked against the document."""
    headers = {"Authorization": f"Bearer {api.token}", "Content-Type": content_type}
    response = api.client.open(PREFIX + path, method=method, data=body, headers=headers)
    if check:
        check_against_document(api.app, method, PREFIX + path, response)
    return response


# -- every operation once ---------------------------------------------------------------------


def happy_run_clients(app, org) -> None:
    """Every client-base operation with good input, as the Director (each answer is
    checked against the document by ``Api``)."""
    boss = Api(app, org.tokens["director"])
    fake_registry(org)

    top = boss.post("/catalogs", {"name": "Клиенты", "description": "Все"})
    assert top.status_code == 201, top.get_json()
    top = top.get_json()
    sub = boss.post("/catalogs", {"name": "Новосибирск", "parent_id": top["id"],
                                  "curator_id": org.worker_a.id}).get_json()
    assert boss.get("/catalogs").status_code == 200
    assert boss.get("/catalogs", query={"q": "ново"}).status_code == 200
    assert boss.get(f"/catalogs/{sub['id']}").status_code == 200
    assert boss.patch(f"/catalogs/{sub['id']}", {"version": sub["version"],
                                                 "description": "Сибирь"}).status_code == 200

    made = boss.post("/counterparties", {
        "catalog_id": sub["id"], "type": "legal_entity", "name": "ООО «Ромашка»",
        "inn": legal_inn("540699001"), "kpp": "540601001", "ogrn": ogrn("102540099001"),
        "phone": "8 (383) 200-10-20", "email": "info@romashka.ru"})
    assert made.status_code == 201, made.get_json()
    card = made.get_json()
    assert boss.get(f"/catalogs/{sub['id']}/counterparties", query={"page": 1}
                    ).status_code == 200
    assert boss.get("/counterparties", query={"q": "ромаш"}).status_code == 200
    assert boss.get("/counterparties/advanced-search",
                    query={"name": "ромаш", "catalog_id": top["id"], "type": "legal_entity"}
                    ).status_code == 200
    assert boss.get("/counterparties/duplicates", query={"phone": "+73832001020"}
                    ).status_code == 200
    assert boss.get(f"/counterparties/{card['id']}").status_code == 200
    changed = boss.patch(f"/counterparties/{card['id']}", {
        "version": card["version"], "postal_address": "630099, Новосибирск, а/я 10"})
    assert changed.status_code == 200
    assert boss.post(f"/counterparties/{card['id']}/move", {"catalog_id": top["id"]}
                     ).status_code == 200
    assert boss.post(f"/counterparties/{card['id']}/delete-mark").status_code == 200
    assert boss.post(f"/counterparties/{card['id']}/restore").status_code == 200
    assert boss.post(f"/counterparties/{card['id']}/responsible",
                     {"employee_id": org.worker_a.id, "project_id": org.proj_p.id}
                     ).status_code == 201
    assert boss.get(f"/counterparties/{card['id']}/managers").status_code == 200
    assert boss.get(f"/counterparties/{card['id']}/history").status_code == 200
    assert boss.get(f"/registry/{REGISTRY_INN}").status_code == 200

    contact = boss.post(f"/counterparties/{card['id']}/contacts", {
        "full_name": "Петров Пётр Петрович", "phones": "8 913 111-22-33",
        "birthday": "1980-05-31"})
    assert contact.status_code == 201, contact.get_json()
    contact = contact.get_json()
    assert boss.get(f"/counterparties/{card['id']}/contacts").status_code == 200
    assert boss.patch(f"/contacts/{contact['id']}", {"version": contact["version"],
                                                     "position": "Директор"}
                      ).status_code == 200
    assert raw(boss, "PUT", f"/contacts/{contact['id']}/photo", PNG, "image/png"
               ).status_code == 200
    assert boss.get(f"/contacts/{contact['id']}/photo").status_code == 200
    assert boss.delete(f"/contacts/{contact['id']}").status_code == 204

    lonely = boss.post("/counterparties", {"catalog_id": top["id"], "type": "individual",
                                           "name": "Одинокий Иван"}).get_json()
    assert boss.delete(f"/counterparties/{lonely['id']}").status_code == 204
