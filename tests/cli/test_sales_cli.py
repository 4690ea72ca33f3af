"""The sales commands (issue 5): `ecrm prices import FILE` (PRD-3: a price list from CSV or
XLSX with a progress bar, rejected rows — unknown items are not created — with their
reasons, re-running changes nothing), `ecrm prices show ITEM [--on DAY]`, `ecrm invoices
list --counterparty ID`, `ecrm invoices print ID` (the printable invoice as text, INV-1)
and `ecrm state-sets export|import FILE.json` (REQ-4, INV-2). Errors are one line naming
the argument or option, never a traceback."""

from __future__ import annotations

import csv
import json
from datetime import date
from types import SimpleNamespace

import pytest
from openpyxl import Workbook

PASSWORD = "password-1"
HEADERS = ["Номенклатура", "Тип цены", "Действует с", "Цена"]


@pytest.fixture
def shop(initialised):
    """Two items (one with an article), a card with an invoice of two lines, the
    company's requisites, a clerk without rights."""
    system = initialised.system()
    try:
        app = system.app
        d = app.access.directors()[0].id
        company = app.org.company()
        app.org.rename_company(d, {"version": company.version, "requisites": {
            "full_name": "Общество с ограниченной ответственностью «Ромашка»",
            "inn": "7707083893", "kpp": "773601001", "address": "г. Москва, ул. Льва "
            "Толстого, д. 16", "bank": "ПАО Сбербанк", "bik": "044525225",
            "account": "40702810938000000001", "director": "Соколов А. В."}})
        router = app.products.save_item(d, {"name": "Маршрутизатор", "article": "MT-1",
                                            "unit": "шт"})
        setup = app.products.save_item(d, {"name": "Настройка", "item_kind": "work",
                                           "unit": "ч"})
        retail = next(t for t in app.products.price_types(d) if t.code == "retail")
        app.products.set_price(d, {"item_id": router.id, "price_type_id": retail.id,
                                   "valid_from": "2026-01-01", "amount": "4990"})
        catalog = app.catalogs.create(d, {"name": "Клиенты"})
        card = app.counterparties.register(d, {
            "catalog_id": catalog.id, "type": "legal_entity", "name": "ООО «Альфа»"})
        invoice = app.invoices.create(d, {
            "counterparty_id": card.id, "issued_on": "2026-03-02",
            "lines": [{"item_id": router.id, "quantity": 2},
                      {"name": "Монтаж", "quantity": "1,5", "price": "1 000", "unit": "ч"}]})
        app.org.add_employee(d, {"login": "clerk", "password": PASSWORD,
                                 "full_name": "Клерк К. К."})
        return SimpleNamespace(router=router, setup=setup, retail=retail, card=card,
                               invoice=invoice, director=d)
    finally:
        system.close()


def _prices(ecrm, item_id: int) -> list[tuple]:
    system = ecrm.system()
    try:
        d = system.app.access.directors()[0].id
        kinds = {k.id: k.code for k in system.app.products.price_types(d)}
        return [(kinds[p.price_type_id], p.valid_from.isoformat(),
                 p.valid_to.isoformat() if p.valid_to else None, str(p.amount.amount))
                for p in system.app.products.prices(d, item_id)]
    finally:
        system.close()


ROWS = [
    ["MT-1", "retail", "01.03.2026", "5 490,00"],  # by article: closes the January price
    ["Маршрутизатор", "wholesale", "2026-01-01", "4200"],  # by name, another type
    ["настройка", "Розничная", "2026-01-01", "1500"],  # any case; the type by its name
    ["Коммутатор", "retail", "2026-01-01", "900"],  # unknown item: not created
    ["Настройка", "vip", "2026-01-01", "900"],  # unknown price type
    ["Настройка", "wholesale", "31.02.2026", "абв"],  # bad day and amount
]


def _write_csv(path, rows=ROWS, headers=HEADERS):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def test_prices_import_reports_rejected_rows_and_changes_nothing_the_second_time(
        initialised, shop, tmp_path):
    path = _write_csv(tmp_path / "prices.csv")
    result = initialised("prices", "import", str(path))
    assert "Imported" in result.stdout and \
        "3 created, 0 updated, 0 unchanged, 3 rejected." in result.stdout
    assert "Importing" in result.stderr, "a progress bar on stderr"
    assert "Номенклатура → item" in result.stderr
    assert "row 5: Номенклатура: no item with this article or name" in result.stderr
    assert "row 6: Тип цены: no such price type" in result.stderr
    assert "row 7: Действует с:" in result.stderr and "Цена:" in result.stderr
    assert _prices(initialised, shop.router.id) == [
        ("retail", "2026-01-01", "2026-03-01", "4990.00"),
        ("retail", "2026-03-01", None, "5490.00"),
        ("wholesale", "2026-01-01", None, "4200.00"),
    ]
    assert _prices(initialised, shop.setup.id) == [("retail", "2026-01-01", None,
                                                    "1500.00")]
    report = tmp_path / "rejected.csv"
    again = initialised("prices", "import", str(path), "--rejected", str(report))
    assert "0 created, 0 updated, 3 unchanged, 3 rejected." in again.stdout
    with open(report, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert rows[0] == ["row", *HEADERS, "errors"] and len(rows) == 4
    assert rows[1][:2] == ["5", "Коммутатор"] and "no item" in rows[1][-1]


def test_prices_import_corrects_an_amount_and_reads_xlsx_without_headers(
        initialised, shop, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Позиция", "Вид цены", "Дата", "Сумма"])
    sheet.append(["MT-1", "retail", date(2026, 1, 1), 4999.5])
    sheet.append(["Настройка", "retail", date(2026, 2, 1), 1500])
    book.save(tmp_path / "prices.xlsx")
    result = initialised("prices", "import", str(tmp_path / "prices.xlsx"))
    assert "1 created, 1 updated, 0 unchanged, 0 rejected." in result.stdout
    assert _prices(initialised, shop.router.id) == [("retail", "2026-01-01", None,
                                                     "4999.50")]
    plain = _write_csv(tmp_path / "plain.csv", headers=["a", "b", "c", "d"],
                       rows=[["Настройка", "wholesale", "2026-02-01", "1200"]])
    assert "1 created" in initialised("prices", "import", str(plain)).stdout


def test_prices_import_refusals_are_one_line(initialised, shop, tmp_path):
    path = _write_csv(tmp_path / "prices.csv")
    refused = initialised("prices", "import", str(path), "--as", "clerk", code=1)
    assert "sets prices" in refused.output and "Traceback" not in refused.output
    assert _prices(initialised, shop.setup.id) == []
    odd = _write_csv(tmp_path / "odd.csv", headers=["Номенклатура", "Цена"],
                     rows=[["MT-1", "1"]])
    bad = initialised("prices", "import", str(odd), code=2)
    assert "FILE: no column for price_type, valid_from" in bad.output
    assert "does not exist" in initialised("prices", "import", str(tmp_path / "no.csv"),
                                           code=2).output


def test_prices_show(initialised, shop):
    listed = initialised("prices", "show", "маршрутизатор").stdout
    assert f"Маршрутизатор (id {shop.router.id}, шт, VAT 22)" in listed
    assert "retail" in listed and "2026-01-01" in listed and "4 990,00" in listed
    on = initialised("prices", "show", str(shop.router.id), "--on", "31.12.2025").stdout
    assert "No price on 2025-12-31." in on
    assert "No prices." in initialised("prices", "show", "Настройка").stdout
    assert "ITEM: no item named" in initialised("prices", "show", "Коммутатор",
                                                code=2).output
    assert "--on:" in initialised("prices", "show", "MT", "--on", "вчера", code=2).output
    assert "not found" in initialised("prices", "show", "999", code=1).output


def test_invoices_list_and_print(initialised, shop):
    listed = initialised("invoices", "list", "--counterparty", str(shop.card.id)).stdout
    assert shop.invoice.number in listed and "draft" in listed and "11 480,00" in listed
    assert "1 invoice(s); page 1 of 1." in listed
    assert "No invoices." in initialised("invoices", "list", "--counterparty",
                                         str(shop.card.id), "--state", "paid").stdout
    assert "not found" in initialised("invoices", "list", "--counterparty", "999",
                                      code=1).output
    text = initialised("invoices", "print", str(shop.invoice.id)).stdout
    assert "Общество с ограниченной ответственностью «Ромашка»" in text
    assert "ИНН 7707083893 КПП 773601001" in text and "БИК 044525225" in text
    assert f"СЧЁТ НА ОПЛАТУ № {shop.invoice.number} от 02.03.2026" in text
    assert "Покупатель: ООО «Альфа»" in text
    assert "Маршрутизатор" in text and "9 980,00" in text and "1,5" in text
    assert "Всего к оплате: 11 480,00" in text
    assert "В том числе НДС 22%: 2 070,16" in text
    assert "Состояние: Черновик" in text and "Соколов А. В." in text
    assert "not found" in initialised("invoices", "print", "999", code=1).output
    refused = initialised("invoices", "print", str(shop.invoice.id), "--as", "nobody",
                          code=2)
    assert "--as: no employee" in refused.output


def test_state_sets_export_and_import(initialised, tmp_path):
    out = tmp_path / "sets.json"
    exported = initialised("state-sets", "export", str(out)).stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert f"Exported {len(data)} state set(s)" in exported
    # the defaults (requests, invoices, orders); the deal templates' sets go with them
    assert {"request", "invoice", "order"} <= {s["code"] for s in data}
    assert not any(s["code"].startswith("deal:") for s in data)
    request = next(s for s in data if s["code"] == "request")
    request["states"].append({"code": "waiting", "name": "Ждёт клиента", "order": 25})
    request["transitions"] += [
        {"from_state": "in_work", "to_state": "waiting", "name": "Ждать клиента"},
        {"from_state": "waiting", "to_state": "in_work", "name": "Вернуть в работу"}]
    new = {"code": "short_sale", "name": "Короткая сделка",
           "states": [{"code": "open", "name": "Открыта", "initial": True},
                      {"code": "won", "name": "Выиграна", "final": True}],
           "transitions": [{"from_state": "open", "to_state": "won", "name": "Выиграть"}]}
    out.write_text(json.dumps([request, new], ensure_ascii=False), encoding="utf-8")
    result = initialised("state-sets", "import", str(out)).stdout
    assert "request: redefined" in result and "short_sale: added" in result
    one = json.loads(initialised("state-sets", "export", "-", "--code", "request").stdout)
    assert "waiting" in {s["code"] for s in one[0]["states"]}
    # the same file again: the new set is redefined with what it already is
    assert "short_sale: redefined" in initialised("state-sets", "import", str(out)).stdout
    # a deal template's set goes with its template (`ecrm deals templates …`)
    out.write_text(json.dumps([{**new, "code": "deal:b2b_connection"}], ensure_ascii=False),
                   encoding="utf-8")
    assert "deal:b2b_connection: skipped" in initialised(
        "state-sets", "import", str(out)).stdout

    request["states"][0]["colour"] = "red"
    out.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
    bad = initialised("state-sets", "import", str(out), code=2)
    assert "request: states[0].colour:" in bad.output
    out.write_text("{not json", encoding="utf-8")
    assert "FILE: not JSON" in initialised("state-sets", "import", str(out), code=2).output
    assert "--code: no state set" in initialised("state-sets", "export", str(out), "--code",
                                                 "deal", code=2).output


def test_documents_gc_removes_only_unused_files(initialised, shop):
    """`ecrm documents gc` (DOC-1 clean-up): a file no document uses goes; one in use
    stays; a fresh one is spared by the grace period."""
    system = initialised.system()
    try:
        app = system.app
        pdf = b"%PDF-1.4\n% scan\n%%EOF\n"
        kept = app.documents.upload(shop.director, "counterparty", shop.card.id, "a.pdf",
                                    pdf)
        gone = app.documents.upload(shop.director, "invoice", shop.invoice.id, "b.pdf",
                                    pdf + b" other")
        app.documents.remove(shop.director, gone.id)
    finally:
        system.close()
    assert "0 unused file(s) removed" in initialised("documents", "gc").stdout
    assert "1 unused file(s) removed" in initialised("documents", "gc", "--grace-hours",
                                                     "0").stdout
    system = initialised.system()
    try:
        assert system.app.documents.download(shop.director, kept.id).data == pdf
    finally:
        system.close()
