"""The importer (ecrm_adapters.importing) on SQLite and PostgreSQL (issue 3, "Import"):
a CSV and an XLSX with good and bad rows — bad rows reported with their reasons and
nothing of them saved, re-running the same file creates no duplicates — CSV in UTF-8
with and without a BOM and in Windows-1251, separated by ; or ,; columns matched by
Russian or English headers or mapped explicitly; the reading streams."""

from __future__ import annotations

import csv
import io
import tracemalloc
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from ecrm_adapters.importing import (
    card_fields,
    guess_mapping,
    import_file,
    open_table,
    parse_map_options,
    resolve_mapping,
)
from ecrm_adapters.sqlalchemy import tables as t
from ecrm_core.kernel.errors import Forbidden, NotFound, ValidationFailed
from ecrm_core.kernel.refs import ObjectRef
from tests.conftest import found, make_system
from tests.e2e.clients_support import legal_inn, ogrn, ogrnip, person_inn

HEADERS = ["Наименование", "ИНН", "КПП", "ОГРН", "Телефон", "E-mail", "Юридический адрес",
           "Тип", "Статус", "Комментарий"]
ALFA_INN = legal_inn("540612001")
BASHKIR_INN = legal_inn("027412345")  # region 02: a spreadsheet drops the leading zero
PETROV_INN = person_inn("5406120002")
IVANOVA_INN = person_inn("5406120003")

GOOD = [
    ["ООО «Альфа»", ALFA_INN, "540601001", ogrn("102540012001"), "8 (383) 200-00-01",
     "info@alfa.ru", "630099, г. Новосибирск, ул. Ленина, д. 1; офис 5", "ЮЛ", "Действующая",
     "первый"],
    ["ИП Петров Пётр Петрович", PETROV_INN, "", ogrnip("30454060000002"), "+7 913 100-00-02",
     "petrov@mail.ru", "630001, г. Новосибирск, ул. Кирова, д. 2", "ИП", "", ""],
    ["Иванова Анна Сергеевна", IVANOVA_INN, "", "", "89131000003", "", "", "ФЛ", "", ""],
    ["АО «Уфимский завод»", BASHKIR_INN, "027401001", ogrn("102020000004"), "+7 347 200-00-04",
     "office@ufa-zavod.ru", "450000, г. Уфа, ул. Ленина, д. 4", "Юридическое лицо",
     "Ликвидируется", ""],
    ["Сидоров Семён (без ИНН)", "", "", "", "+7 913 100-00-05", "", "", "ФЛ", "", ""],
]
BAD = [
    # (row, the reasons expected: column header -> a word of the message)
    (["ООО «Бета»", "7707083894", "", "", "", "", "", "ЮЛ", "", ""], {"ИНН": "checksum"}),
    (["ООО «Гамма»", legal_inn("540612007"), "12", "", "abc", "no-at-sign", "", "ЮЛ", "", ""],
     {"КПП": "KPP", "Телефон": "phone", "E-mail": "e-mail"}),
    (["", legal_inn("540612008"), "", "", "", "", "", "ЮЛ", "", ""], {"Наименование": "required"}),
    (["ООО «Дельта»", "", "", "", "", "", "", "Марсианин", "", ""], {"Тип": "one of"}),
    (["Ромашка", legal_inn("540612010"), "", ogrn("102540012010")[:-1], "", "", "", "ФЛ", "",
      ""], {"ИНН": "12 digits", "ОГРН": "OGRNIP"}),
]
BAD_NAMES = {"ООО «Бета»", "ООО «Гамма»", "ООО «Дельта»", "Ромашка"}


def table_rows() -> list[list[str]]:
    """Good and bad rows interleaved, with a blank row in the middle."""
    rows: list[list[str]] = []
    for i in range(max(len(GOOD), len(BAD))):
        if i < len(GOOD):
            rows.append(GOOD[i])
        if i < len(BAD):
            rows.append(BAD[i][0])
        if i == 2:
            rows.append([""] * len(HEADERS))
    return rows


def write_csv(path: Path, encoding: str = "utf-8", delimiter: str = ";",
              headers: list[str] = HEADERS, rows: list[list[str]] | None = None) -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(headers)
        writer.writerows(table_rows() if rows is None else rows)
    return path


def write_xlsx(path: Path, headers: list[str] = HEADERS) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Клиенты"
    sheet.append(["Выгрузка клиентов"])  # a title line above the header is not the header
    sheet.append([])
    sheet.append(headers)
    for row in table_rows():
        cells: list = list(row)
        # spreadsheets keep INNs and phones as numbers
        for index in (1, 2, 3):
            if cells[index].isdigit():
                cells[index] = int(cells[index])
        cells[4] = int(cells[4]) if cells[4].isdigit() else cells[4]
        sheet.append([c if c != "" else None for c in cells])
    book.save(path)
    return path


@pytest.fixture
def world(database_url, tmp_path):
    system = make_system(database_url, tmp_path)
    director = found(system)
    catalog = system.app.catalogs.create(director.id, {"name": "Импорт"})
    yield system, director, catalog
    system.close()


def cards(system) -> list[tuple]:
    with system.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(t.counterparties.c.name, t.counterparties.c.inn, t.counterparties.c.kpp,
                   t.counterparties.c.type, t.counterparties.c.status,
                   t.counterparties.c.phone).order_by(t.counterparties.c.id))]


def history_rows(system) -> int:
    with system.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(t.history))


def check_first_import(system, result, rejected_csv: Path) -> None:
    assert (result.created, result.updated, result.unchanged, result.rejected) == (
        len(GOOD), 0, 0, len(BAD))
    saved = cards(system)
    assert {c[0] for c in saved} == {row[0] for row in GOOD}
    assert not BAD_NAMES & {c[0] for c in saved}, "nothing of a rejected row is saved"
    by_name = {c[0]: c for c in saved}
    assert by_name["ООО «Альфа»"][3:] == ("legal_entity", "active", "+73832000001")
    assert by_name["ИП Петров Пётр Петрович"][3] == "sole_proprietor"
    assert by_name["Иванова Анна Сергеевна"][3] == "individual"
    assert by_name["АО «Уфимский завод»"][1:5] == (BASHKIR_INN, "027401001", "legal_entity",
                                                  "liquidating")
    # the reasons, by the file's column headers
    reasons = {r.row: r.errors for r in result.rejected_rows}
    assert len(reasons) == len(BAD)
    for (_row, expected), errors in zip(BAD, [reasons[k] for k in sorted(reasons)],
                                        strict=True):
        assert set(errors) == set(expected), errors
        for column, word in expected.items():
            assert word.lower() in errors[column].lower(), errors
    # the report: row number, the row as it was, the reasons
    with open(rejected_csv, encoding="utf-8-sig", newline="") as f:
        report = list(csv.reader(f, delimiter=";"))
    assert report[0] == ["row", *HEADERS, "errors"]
    assert [r[1] for r in report[1:]] == [row[0] for row, _ in BAD]
    assert all(r[-1] for r in report[1:])
    assert {int(r[0]) for r in report[1:]} == set(reasons)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_import_reports_bad_rows_saves_good_ones_and_repeats_without_duplicates(
        world, tmp_path, kind):
    system, director, catalog = world
    path = write_csv(tmp_path / "clients.csv") if kind == "csv" else \
        write_xlsx(tmp_path / "clients.xlsx")
    done: list[int] = []
    result = import_file(system.app, director.id, catalog.id, path,
                         rejected_to=tmp_path / "rejected.csv", progress=done.append)
    assert result.format == kind
    check_first_import(system, result, tmp_path / "rejected.csv")
    assert sum(done) == len(GOOD) + len(BAD), "progress counts every row"
    assert result.ignored == ("Комментарий",)
    assert result.columns["ИНН"] == "inn" and result.columns["Тип"] == "type"

    before, history = cards(system), history_rows(system)
    again = import_file(system.app, director.id, catalog.id, path,
                        rejected_to=tmp_path / "rejected-2.csv")
    assert (again.created, again.updated, again.unchanged, again.rejected) == (
        0, 0, len(GOOD), len(BAD))
    assert cards(system) == before
    assert history_rows(system) == history, "an unchanged row leaves no history"


def test_a_changed_file_updates_the_cards_it_names(world, tmp_path):
    system, director, catalog = world
    import_file(system.app, director.id, catalog.id, write_csv(tmp_path / "a.csv"))
    rows = [list(r) for r in GOOD]
    rows[0][4] = "+7 383 299-99-99"
    result = import_file(system.app, director.id, catalog.id,
                         write_csv(tmp_path / "b.csv", rows=rows))
    assert (result.created, result.updated, result.unchanged) == (0, 1, len(GOOD) - 1)
    assert {c[0]: c[5] for c in cards(system)}["ООО «Альфа»"] == "+73832999999"


@pytest.mark.parametrize("encoding, delimiter", [
    ("utf-8", ";"), ("utf-8-sig", ";"), ("cp1251", ";"), ("utf-8", ","), ("cp1251", ","),
    ("utf-8-sig", "\t"),
])
def test_csv_encodings_and_separators(world, tmp_path, encoding, delimiter):
    system, director, catalog = world
    path = write_csv(tmp_path / "clients.csv", encoding=encoding, delimiter=delimiter)
    with open_table(path) as table:
        assert table.headers == HEADERS
        assert table.delimiter == delimiter
        assert table.encoding == ("cp1251" if encoding == "cp1251" else "utf-8-sig")
    result = import_file(system.app, director.id, catalog.id, path)
    assert (result.created, result.rejected) == (len(GOOD), len(BAD))
    assert "ООО «Альфа»" in {c[0] for c in cards(system)}


def test_english_headers_and_an_explicit_mapping(world, tmp_path):
    system, director, catalog = world
    english = ["Name", "INN", "KPP", "OGRN", "Phone", "Email", "Legal address", "Type",
               "Status", "Note"]
    with open_table(write_csv(tmp_path / "en.csv", headers=english)) as table:
        assert set(guess_mapping(table.headers).values()) == {
            "name", "inn", "kpp", "ogrn", "phone", "email", "legal_address", "type", "status"}
    odd = ["Клиент компании", "Налоговый номер", "КПП", "ОГРН", "Тел. офиса", "E-mail",
           "Юридический адрес", "Тип", "Статус", "Комментарий"]
    path = write_csv(tmp_path / "odd.csv", headers=odd)
    with open_table(path) as table, pytest.raises(ValidationFailed) as missing:
        resolve_mapping(table.headers)
    assert "map" in missing.value.errors and "name" in missing.value.errors["map"]
    mapping = parse_map_options(["Клиент компании=name", "2=inn", "тел офиса=phone",
                                 "Комментарий=head", "Статус=-"])
    result = import_file(system.app, director.id, catalog.id, path, mapping=mapping)
    assert result.columns == {"Клиент компании": "name", "Налоговый номер": "inn", "КПП": "kpp",
                              "ОГРН": "ogrn", "Тел. офиса": "phone", "E-mail": "email",
                              "Юридический адрес": "legal_address", "Тип": "type",
                              "Комментарий": "head"}
    assert result.ignored == ("Статус",)
    assert result.created == len(GOOD)
    assert {c[4] for c in cards(system)} == {"active"}, "the status column was left out"


def test_bad_mappings_and_unreadable_files_are_refused_naming_the_field(world, tmp_path):
    system, director, catalog = world
    path = write_csv(tmp_path / "clients.csv")
    for items, word in ((["Нет такой=name"], "no column"), (["ИНН=rating"], "not a card field"),
                        (["no equals sign"], "COLUMN=FIELD")):
        with pytest.raises(ValidationFailed) as refused:
            import_file(system.app, director.id, catalog.id, path,
                        mapping=parse_map_options(items))
        assert word in refused.value.errors["map"]
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    (tmp_path / "fake.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "blank.csv").write_text("\n;;\n\n")
    for name, word in (("empty.csv", "empty"), ("old.xls", ".xls"), ("fake.xlsx", "XLSX"),
                       ("blank.csv", "header"), ("missing.csv", "cannot open")):
        with pytest.raises(ValidationFailed) as refused:
            import_file(system.app, director.id, catalog.id, tmp_path / name)
        assert word in refused.value.errors["file"], refused.value.errors
    assert cards(system) == []


def test_the_importer_checks_the_right_to_register_and_the_catalog(world, tmp_path):
    system, director, catalog = world
    clerk = system.app.org.add_employee(director.id, {
        "login": "clerk", "password": "password-1", "full_name": "Клерк К. К."})
    path = write_csv(tmp_path / "clients.csv")
    with pytest.raises(Forbidden):
        import_file(system.app, clerk.id, catalog.id, path,
                    rejected_to=tmp_path / "rejected.csv")
    assert not (tmp_path / "rejected.csv").exists(), "no report of an import refused"
    with pytest.raises(NotFound):
        import_file(system.app, director.id, 99999, path)
    assert cards(system) == []


def test_excel_separator_line_and_a_title_above_the_header(world, tmp_path):
    system, director, catalog = world
    path = tmp_path / "excel.csv"
    body = write_csv(tmp_path / "plain.csv", encoding="cp1251").read_bytes()
    path.write_bytes(b"sep=;\r\n" + "Клиенты на 01.03.2025;;\r\n".encode("cp1251") + body)
    with open_table(path) as table:
        assert table.headers == HEADERS and table.delimiter == ";"
    result = import_file(system.app, director.id, catalog.id, path)
    assert (result.created, result.rejected) == (len(GOOD), len(BAD))


def test_an_upload_stream_is_read_like_a_file(world, tmp_path):
    system, director, catalog = world
    data = write_csv(tmp_path / "clients.csv", encoding="cp1251").read_bytes()
    report = io.StringIO()
    result = import_file(system.app, director.id, catalog.id, io.BytesIO(data),
                         filename="upload.csv", rejected_to=report)
    assert (result.created, result.rejected) == (len(GOOD), len(BAD))
    assert report.getvalue().count("\n") == len(BAD) + 1


def test_card_fields_words_and_inferred_types():
    mapping = {0: "name", 1: "inn", 2: "type", 3: "status", 4: "export_1c", 5: "ogrn"}
    assert card_fields(["ИП Орлов", PETROV_INN, "", "Банкрот", "да", ""], mapping) == {
        "name": "ИП Орлов", "inn": PETROV_INN, "type": "sole_proprietor",
        "status": "bankrupt", "export_1c": "true"}
    assert card_fields(["Орлов", PETROV_INN, None, None, None, None], mapping)["type"] == \
        "individual"
    assert card_fields(["ООО «Лес»", float(BASHKIR_INN), "юр. лицо", "", "", ""], mapping
                       ) == {"name": "ООО «Лес»", "inn": BASHKIR_INN, "type": "legal_entity"}
    assert card_fields(["ООО «Лес»", BASHKIR_INN[1:], "", "", "", ""], mapping)["inn"] == \
        BASHKIR_INN[1:], "text cells are taken as they are"


# -- streaming ------------------------------------------------------------------------------------


def _peak_while_reading(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = 0
        with open_table(path) as table:
            for _number, _cells in table.rows():
                count += 1
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_reading_streams_a_large_csv_and_xlsx(tmp_path):
    """Reading 20,000 rows takes about as much memory as reading 2,000: the rows are
    never held all at once."""
    row = GOOD[0]
    sizes = {}
    for n in (2_000, 20_000):
        path = tmp_path / f"big-{n}.csv"
        write_csv(path, rows=[row] * n)
        sizes[n] = _peak_while_reading(path)
        assert sizes[n][0] == n
    assert sizes[20_000][1] < 2 * sizes[2_000][1] + 256 * 1024, sizes

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS)
    for _ in range(2_000):
        sheet.append(row)
    book.save(tmp_path / "big.xlsx")
    count, peak = _peak_while_reading(tmp_path / "big.xlsx")
    assert count == 2_000
    assert peak < 4 * 1024 * 1024, peak
    with open_table(tmp_path / "big.xlsx") as table:
        assert table.estimated_rows in (None, 2_000)


def test_a_registrar_cannot_overwrite_a_card_elsewhere_by_importing_its_inn(world, tmp_path):
    system, director, catalog = world
    app = system.app
    other = app.catalogs.create(director.id, {"name": "Чужой"})
    import_file(app, director.id, other.id, write_csv(tmp_path / "a.csv", rows=GOOD[:1]))
    clerk = app.org.add_employee(director.id, {
        "login": "clerk", "password": "password-1", "full_name": "Клерк К. К."})
    app.access.grant(director.id, clerk.id, "client_registrar", ObjectRef("catalog", catalog.id))
    changed = [list(GOOD[0])]
    changed[0][4] = "+7 383 299-99-99"
    before = cards(system)
    result = import_file(app, clerk.id, catalog.id,
                         write_csv(tmp_path / "b.csv", rows=changed + GOOD[1:2]))
    assert (result.created, result.updated, result.rejected) == (1, 0, 1)
    assert result.rejected_rows[0].row == 2 and "may not edit" in result.rejected_rows[0].reasons
    assert cards(system)[:1] == before


def test_an_imported_card_and_its_history_are_those_of_a_registered_card(world):
    """The import stores new cards as rows of their values (``add_values``) instead of
    building each card: what it stores and records must be what registering the same
    card does — every column, the derived search keys, the creation's history entry —
    and a later row of the same batch that names a new card updates it."""
    system, director, catalog = world
    app = system.app
    data = {"type": "legal_entity", "name": "ООО «Ёлка-Импорт»",
            "full_name": "Общество с ограниченной ответственностью «Ёлка-Импорт»",
            "inn": legal_inn("540612101"), "kpp": "540601001", "ogrn": ogrn("102540012101"),
            "phone": "8 (383) 200-11-01", "email": "Info@Elka.RU", "okved": "62.01",
            "extra": {"источник": "выставка"}, "export_1c": "true"}
    registered = app.counterparties.register(director.id, dict(data, catalog_id=catalog.id),
                                              proceed=True)
    other = app.catalogs.create(director.id, {"name": "Импорт 2"})
    changed = dict(data, phone="+7 383 200-11-02")
    report = app.counterparties.import_rows(director.id, other.id, [
        dict(data, inn=legal_inn("540612102")), dict(changed, inn=legal_inn("540612102"))])
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0), report

    with system.engine.connect() as conn:
        rows = {r.inn: r._asdict() for r in conn.execute(select(t.counterparties))}
        entries = conn.execute(select(t.history).where(
            t.history.c.subject_kind == "counterparty").order_by(t.history.c.id)).all()
    mine, theirs = rows[registered.inn], rows[legal_inn("540612102")]
    differs = {"id", "inn", "catalog_id", "created_at", "updated_at", "phone", "version"}
    assert {k: v for k, v in theirs.items() if k not in differs} == {
        k: v for k, v in mine.items() if k not in differs}
    assert theirs["phone"] == "+73832001102" and theirs["version"] == 2
    assert theirs["search_text"] == "ооо «елка-импорт» общество с ограниченной " \
                                    "ответственностью «елка-импорт»"

    by_subject: dict[int, list] = {}
    for entry in entries:
        by_subject.setdefault(entry.subject_id, []).append(entry)
    created = {e.subject_id: e for e in entries if e.action == "ObjectCreated"}
    assert set(created) == {mine["id"], theirs["id"]}
    own = {"catalog_id": other.id, "inn": theirs["inn"]}
    expected = [dict(c, new=own[c["field"]]) if c["field"] in own else c
                for c in created[mine["id"]].changes]
    assert created[theirs["id"]].changes == expected, "the same creation entry, field by field"
    assert created[theirs["id"]].actor_id == director.id
    assert [e.action for e in by_subject[theirs["id"]]] == ["ObjectCreated", "ObjectChanged"]
    assert by_subject[theirs["id"]][1].changes == [
        {"field": "phone", "old": "+73832001101", "new": "+73832001102"}]


def test_rows_without_an_inn_naming_a_new_card_of_the_same_batch_update_it(world):
    """Two rows without an INN with the same name and phone in one batch: the second
    finds the card the first made (stored mid-batch, then found by the query), and a
    third new card after it takes the next id — on both databases."""
    system, director, catalog = world
    rows = [{"type": "individual", "name": "Сидоров Семён", "phone": "+7 913 100-00-05"},
            {"type": "individual", "name": "Сидоров Семён", "phone": "+7 913 100-00-05",
             "legal_address": "г. Омск"},
            {"type": "individual", "name": "Петров Пётр", "phone": "+7 913 100-00-06"}]
    report = system.app.counterparties.import_rows(director.id, catalog.id, rows)
    assert (report.created, report.updated, report.unchanged) == (2, 1, 0), report
    with system.engine.connect() as conn:
        saved = conn.execute(select(t.counterparties.c.id, t.counterparties.c.name,
                                    t.counterparties.c.legal_address)
                             .order_by(t.counterparties.c.id)).all()
    assert [(r.name, r.legal_address) for r in saved] == [
        ("Сидоров Семён", "г. Омск"), ("Петров Пётр", "")]
    assert saved[1].id == saved[0].id + 1
    again = system.app.counterparties.import_rows(director.id, catalog.id, rows[1:])
    assert (again.created, again.unchanged) == (0, 2), again


def test_a_batch_finds_its_inns_through_the_index(world):
    """A batch asks for the cards with its INNs in one query. Asked to order 5,000 INNs
    by id, SQLite read the whole table in id order instead of probing the INN index (a
    1M-card import's batches took 0.65 s each for that alone): the query is unordered
    and the service orders what it finds. Also on PostgreSQL."""
    from tests.integration.plans import captured, plan_of

    system, director, catalog = world
    rows = [{"type": "legal_entity", "name": f"ООО «Партия {k}»",
             "inn": legal_inn(f"54{k:07d}")} for k in range(5000)]
    with captured(system.engine, lambda sql: "counterparties.inn IN" in sql) as seen:
        report = system.app.counterparties.import_rows(director.id, catalog.id, rows,
                                                       batch=5000)
    assert report.created == 5000 and not report.rejected
    [(statement, parameters)] = seen
    plan = plan_of(system, statement, parameters)
    assert "ix_counterparties_inn" in plan and "SCAN counterparties" not in plan, plan
