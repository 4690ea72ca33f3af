"""The client base's lists in the HTML UI: catalog pages of 20 with page links,
«Предыдущая»/«Следующая» and «/» jumping 10 pages (CAT-3); the search line (CP-9) and the
advanced search (CP-10) with results on the list page; exports of a list to CSV / XLSX;
the import of a CSV or XLSX file with its column mapping, progress and rejected rows."""

from __future__ import annotations

import csv
import io
import re
import time

from openpyxl import Workbook, load_workbook

from tests.e2e.conftest import page_text
from tests.e2e.ui_clients_support import (
    X_INN,
    Y_INN,
    legal_inn,
    snapshot,
)

#: the fixtures cl, as_boss, as_curator, as_manager, as_other, as_administrator
pytest_plugins = ["tests.e2e.ui_clients_fixtures"]


def _fill(system, cl, catalog, count: int, prefix: str = "Клиент") -> None:
    report = system.app.counterparties.import_rows(cl.director.id, catalog.id, [
        {"type": "individual", "name": f"{prefix} {i:04d}"} for i in range(count)])
    assert report.created == count and not report.rejected


def _links(html: str) -> dict[str, str]:
    """Text -> address of the links of the first pager on the page."""
    pager = re.search(r'<nav class="pager cat-pager".*?</nav>', html, re.S).group(0)
    return {re.sub(r"\s+", " ", text).strip(): href.replace("&amp;", "&")
            for href, text in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', pager, re.S)}


# -- catalog pages (CAT-3, CP-13) ------------------------------------------------------------


def test_catalog_pages_of_twenty_with_page_links(system, as_other, cl):
    _fill(system, cl, cl.msk, 44)  # with Y: 45 cards, 3 pages
    url = f"/counterparties/catalogs/{cl.msk.id}"
    first = as_other.get(url)
    html = first.get_data(as_text=True)
    assert html.count('<tr class="" data-id=') == 20
    text = page_text(first)
    assert "Найдено: 45" in text and "Страниц: 3" in text
    links = _links(html)
    assert links["2"] == f"{url}?page=2" and links["3"] == f"{url}?page=3"
    assert links["Следующая"] == f"{url}?page=2" and "Предыдущая" not in links
    assert "«" not in links and "»" not in links
    last = as_other.get(f"{url}?page=3").get_data(as_text=True)
    assert last.count('data-id=') == 5
    links = _links(last)
    assert links["Предыдущая"] == f"{url}?page=2" and "Следующая" not in links
    # Nonsense page numbers read as page 1; far pages are empty, not errors.
    assert as_other.get(f"{url}?page=abc").status_code == 200
    assert "Контрагентов здесь нет" in page_text(as_other.get(f"{url}?page=99"))


def test_ten_pages_jump_with_guillemets(system, as_other, cl):
    _fill(system, cl, cl.msk, 259)  # with Y: 260 cards, 13 pages
    url = f"/counterparties/catalogs/{cl.msk.id}"
    links = _links(as_other.get(url).get_data(as_text=True))
    assert links["»"] == f"{url}?page=11"
    assert [k for k in links if k.isdigit()] == [str(n) for n in range(2, 11)]
    links = _links(as_other.get(f"{url}?page=12").get_data(as_text=True))
    assert links["«"] == f"{url}?page=2"
    assert [k for k in links if k.isdigit()] == ["11", "13"]
    assert "»" not in links


# -- the search line (CP-9) -------------------------------------------------------------------


def test_a_short_query_gets_the_message_not_a_scan(as_other, cl):
    for query in ("ле", "  л ", "«»!"):
        response = as_other.get("/counterparties/search", query_string={"q": query})
        assert response.status_code == 422
        assert "введите не менее 3 букв или цифр" in page_text(response)
        assert 'id="cards"' not in response.get_data(as_text=True)
    empty = as_other.get("/counterparties/search?q=")
    assert empty.status_code == 200 and 'id="cards"' not in empty.get_data(as_text=True)


def test_search_by_name_part_inn_id_and_contact_surname(system, as_other, cl):
    by_name = page_text(as_other.get("/counterparties/search?q=СИБИР"))
    assert "ООО «Сибирский лес»" in by_name and "Московский" not in by_name
    assert "Найдено: 1" in by_name
    assert "ООО «Сибирский лес»" in page_text(as_other.get(f"/counterparties/search?q={X_INN[:5]}"))
    assert "АО «Московский завод»" in page_text(as_other.get(f"/counterparties/search?q={cl.y.id}"))
    assert "ООО «Сибирский лес»" in page_text(as_other.get("/counterparties/search?q=соколова"))
    # ё and е are the same letter for the search.
    system.app.counterparties.register(cl.director.id, {
        "catalog_id": str(cl.msk.id), "type": "legal_entity", "name": "ООО «Ёлка»"})
    assert "ООО «Ёлка»" in page_text(as_other.get("/counterparties/search?q=елка"))
    assert "Ничего не найдено" in page_text(as_other.get("/counterparties/search?q=zzzzz"))
    # The same row as the catalog page (CP-13).
    html = as_other.get("/counterparties/search?q=сибир").get_data(as_text=True)
    assert 'id="cards"' in html and f'href="/counterparties/{cl.x.id}"' in html
    assert "Новосибирск" in page_text(as_other.get("/counterparties/search?q=сибир"))


def test_search_results_are_paged_and_capped(system, as_other, cl):
    _fill(system, cl, cl.msk, 1001, prefix="Тестовый")
    response = as_other.get("/counterparties/search?q=тестов")
    text = page_text(response)
    assert "Найдено: более 1 000" in text or "Найдено: более 1000" in text
    links = _links(response.get_data(as_text=True))
    assert links["2"] == "/counterparties/search?q=тестов&page=2" or \
        links["2"].endswith("page=2")
    second = as_other.get(links["2"])
    assert second.status_code == 200 and second.get_data(as_text=True).count("data-id=") == 20


def test_the_navigation_search_line_goes_to_the_counterparty_search(as_other, cl):
    html = as_other.get("/counterparties").get_data(as_text=True)
    nav = re.search(r'<form class="nav-search" action="([^"]+)"', html).group(1)
    assert nav == "/counterparties/search"


# -- the advanced search (CP-10) --------------------------------------------------------------


def test_advanced_search_over_the_fields(system, as_other, cl):
    system.app.counterparties.register(cl.director.id, {
        "catalog_id": str(cl.archive.id), "type": "sole_proprietor",
        "name": "ИП Кедров", "status": "liquidated"})
    form = page_text(as_other.get("/counterparties/search/advanced"))
    for label in ("Наименование", "ИНН", "Тип", "Статус организации", "Каталог",
                  "Менеджер", "Создан с", "Создан по", "Пометка на удаление"):
        assert label in form, label

    def found(**query) -> str:
        response = as_other.get("/counterparties/search/advanced", query_string=query)
        assert response.status_code == 200, page_text(response)[-500:]
        return page_text(response)

    assert "ООО «Сибирский лес»" in found(name="лес")
    assert "АО «Московский завод»" in found(inn=Y_INN[:4]) and "Сибирский" not in found(
        inn=Y_INN[:4])
    assert "ИП Кедров" in found(type="sole_proprietor")
    assert "ИП Кедров" in found(status="liquidated") and "Сибирский" not in found(
        status="liquidated")
    nested = found(catalog_id=str(cl.nsk.id))  # Новосибирск with Архив НСК inside
    assert "ИП Кедров" in nested and "ООО «Сибирский лес»" in nested
    assert "Московский" not in nested
    assert "ООО «Сибирский лес»" in found(manager_id=str(cl.manager.id))
    assert "Ничего не найдено" in found(created_to="2000-01-01")
    assert "ООО «Сибирский лес»" in found(created_from="2000-01-01", name="лес")
    system.app.counterparties.mark_deleted(cl.director.id, cl.y.id)
    deleted = found(deleted="1")
    assert "АО «Московский завод»" in deleted and "Сибирский" not in deleted
    bad = as_other.get("/counterparties/search/advanced", query_string={
        "created_from": "31.12.2025", "inn": "12ab", "type": "martian"})
    assert bad.status_code == 422
    text = page_text(bad)
    assert "дата вида 2026-01-31" in text and "ИНН состоит только из цифр" in text


# -- exports ---------------------------------------------------------------------------------


def test_exports_of_a_catalog_and_of_search_results(system, as_other, cl):
    response = as_other.get(f"/counterparties/catalogs/{cl.nsk.id}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[0][:4] == ["ID", "Наименование", "Полное наименование", "ИНН"]
    assert rows[1][1] == "ООО «Сибирский лес»" and rows[1][3] == X_INN
    assert "Менеджеров Максим" in rows[1]
    book = as_other.get(f"/counterparties/catalogs/{cl.nsk.id}/export.xlsx")
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.data), read_only=True).worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[1][1] == "ООО «Сибирский лес»"
    found = as_other.get("/counterparties/search/export.csv?q=завод").data.decode("utf-8-sig")
    assert "АО «Московский завод»" in found and "Сибирский" not in found
    advanced = as_other.get(f"/counterparties/search/export.csv?catalog_id={cl.nsk.id}")
    assert "ООО «Сибирский лес»" in advanced.data.decode("utf-8-sig")
    # The list pages link to them.
    assert f"/counterparties/catalogs/{cl.nsk.id}/export.xlsx" in as_other.get(
        f"/counterparties/catalogs/{cl.nsk.id}").get_data(as_text=True)
    assert "/counterparties/search/export.csv?q=" in as_other.get(
        "/counterparties/search?q=завод").get_data(as_text=True)


# -- import (CSV / XLSX) ---------------------------------------------------------------------


def _upload(client, catalog_id, name: str, data: bytes):
    return client.post("/counterparties/import", data={
        "catalog_id": str(catalog_id), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def _wait(client, job_url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = client.get(job_url + "/progress").get_json()
        assert 0 <= state["percent"] <= 100 and state["text"]
        if state["finished"]:
            return
        time.sleep(0.1)
    raise AssertionError("the import did not finish")


GOOD = legal_inn("540677701")
CSV_FILE = (
    "Наименование;ИНН;Телефон;Комментарий\r\n"
    f"ООО «Альфа»;{GOOD};8 383 000-00-01;первая\r\n"
    "ООО «Бета»;1234567890;8 383 000-00-02;контрольное число не то\r\n"
    ";;;пустое имя\r\n"
    "ИП Гамма;;+7 913 000-00-03;\r\n"
).encode("utf-8-sig")


def test_import_a_csv_with_column_mapping_progress_and_rejected_rows(system, as_curator, cl):
    uploaded = _upload(as_curator, cl.nsk.id, "clients.csv", CSV_FILE)
    assert uploaded.status_code == 303
    job_url = uploaded.headers["Location"]
    mapping = as_curator.get(job_url)
    html = mapping.get_data(as_text=True)
    text = page_text(mapping)
    assert "Колонки файла" in text and "Комментарий" in text
    # The guessed fields are preselected; the comment column is skipped.
    assert re.search(r'name="col_0".*?<option value="name" selected', html, re.S)
    assert re.search(r'name="col_1".*?<option value="inn" selected', html, re.S)
    no_name = as_curator.post(job_url, data={"col_0": "-", "col_1": "inn", "col_2": "phone",
                                             "col_3": "-"})
    assert no_name.status_code == 422 and "наименование" in page_text(no_name)
    started = as_curator.post(job_url, data={"col_0": "name", "col_1": "inn",
                                             "col_2": "phone", "col_3": "-"})
    assert started.status_code == 303
    _wait(as_curator, job_url)
    result = page_text(as_curator.get(job_url))
    assert "Загрузка завершена" in result
    assert "Создано карточек 2" in result and "Отклонено строк 2" in result
    assert "контрольное число ИНН не сходится" in result and "обязательное поле" in result
    rejected = as_curator.get(job_url + "/rejected.csv")
    assert rejected.status_code == 200
    rows = list(csv.reader(io.StringIO(rejected.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "row" and len(rows) == 3
    assert "ООО «Бета»" in rows[1]
    names = page_text(as_curator.get(f"/counterparties/catalogs/{cl.nsk.id}"))
    assert "ООО «Альфа»" in names and "ИП Гамма" in names
    # Somebody else cannot see the job.
    assert as_curator.get(job_url + "/progress").status_code == 200
    other = as_curator.application.test_client()
    other.post("/login", data={"login": "manager", "password": "secret-pass-1"})
    assert other.get(job_url).status_code == 404
    assert other.get(job_url + "/rejected.csv").status_code == 404

    # The same file again: no duplicates.
    again = _upload(as_curator, cl.nsk.id, "clients.csv", CSV_FILE).headers["Location"]
    as_curator.post(again, data={"col_0": "name", "col_1": "inn", "col_2": "phone",
                                 "col_3": "-"})
    _wait(as_curator, again)
    assert system.app.counterparties.search(cl.director.id, "альфа").total == 1


def test_import_an_xlsx(system, as_boss, cl):
    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "INN", "Type", "E-mail"])
    sheet.append(["ООО «Дельта»", int(GOOD), "ЮЛ", "delta@example.ru"])
    sheet.append(["Епифанов Е. Е.", None, "ФЛ", "ep@example.ru"])
    data = io.BytesIO()
    book.save(data)
    job_url = _upload(as_boss, cl.msk.id, "clients.xlsx", data.getvalue()).headers["Location"]
    assert as_boss.post(job_url, data={"col_0": "name", "col_1": "inn", "col_2": "type",
                                       "col_3": "email"}).status_code == 303
    _wait(as_boss, job_url)
    result = page_text(as_boss.get(job_url))
    assert "Создано карточек 2" in result and "Отклонено строк 0" in result
    card = system.app.counterparties.search(cl.director.id, "дельта").rows[0].counterparty
    assert card.inn == GOOD and card.email == "delta@example.ru"


def test_import_refuses_bad_files_and_strangers(system, as_boss, as_other, as_manager, cl):
    before = snapshot(system)
    for client in (as_other, as_manager):
        assert _upload(client, cl.nsk.id, "a.csv", CSV_FILE).status_code == 403
    assert snapshot(system) == before
    xls = _upload(as_boss, cl.nsk.id, "old.xls", b"\xd0\xcf\x11\xe0 old excel")
    assert xls.status_code == 422 and "CSV или XLSX" in page_text(xls)
    empty = _upload(as_boss, cl.nsk.id, "empty.csv", b"")
    assert empty.status_code == 422 and "файл пуст" in page_text(empty)
    broken = _upload(as_boss, cl.nsk.id, "broken.xlsx", b"PK\x03\x04 not really a zip")
    assert broken.status_code == 422 and "XLSX" in page_text(broken)
    no_catalog = as_boss.post("/counterparties/import", data={
        "catalog_id": "", "file": (io.BytesIO(CSV_FILE), "a.csv")},
        content_type="multipart/form-data")
    assert no_catalog.status_code == 422 and "обязательное поле" in page_text(no_catalog)
    no_file = as_boss.post("/counterparties/import", data={"catalog_id": str(cl.nsk.id)},
                           content_type="multipart/form-data")
    assert no_file.status_code == 422
    assert as_boss.get("/counterparties/import/nonexistent").status_code == 404
    assert as_boss.get("/counterparties/import/..%2F..%2Fetc").status_code == 404
    assert snapshot(system) == before


def test_a_silent_running_import_is_reported_as_stalled(system, as_boss, cl):
    """The thread lives in one web process; when that process stops, the page says so
    instead of waiting forever."""
    import json

    job_url = _upload(as_boss, cl.nsk.id, "clients.csv", CSV_FILE).headers["Location"]
    job_id = job_url.rsplit("/", 1)[1]
    path = system.settings.data_dir / "imports" / f"{job_id}.json"
    job = json.loads(path.read_text(encoding="utf-8"))
    job.update(state="running", written_at=time.time() - 3600)
    path.write_text(json.dumps(job), encoding="utf-8")
    state = as_boss.get(job_url + "/progress").get_json()
    assert state["stalled"] and not state["finished"]
    assert "загрузка, возможно, остановилась" in state["text"]
    assert "возможно, остановилась" in page_text(as_boss.get(job_url))
