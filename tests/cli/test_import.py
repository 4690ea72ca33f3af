"""`ecrm import counterparties FILE --catalog ID|NAME [--map COL=FIELD] [--rejected OUT]`
(issue 3, "Import"): a progress bar, a summary (created / updated / unchanged /
rejected), rejected rows with reasons, re-running creates no duplicates; errors are
one line naming the option, never a traceback."""

from __future__ import annotations

import csv

import pytest

from tests.integration.test_importing import BAD, GOOD, HEADERS, write_csv, write_xlsx

SUMMARY = "{} created, {} updated, {} unchanged, {} rejected."


@pytest.fixture
def catalogs(initialised):
    """Catalogs «Клиенты» > «Новосибирск», and two catalogs both named «Архив»."""
    system = initialised.system()
    try:
        director = system.app.access.directors()[0]
        top = system.app.catalogs.create(director.id, {"name": "Клиенты"})
        nsk = system.app.catalogs.create(director.id, {"name": "Новосибирск",
                                                       "parent_id": top.id})
        for _ in range(2):
            system.app.catalogs.create(director.id, {"name": "Архив"})
        system.app.org.add_employee(director.id, {"login": "clerk", "password": "password-1",
                                                  "full_name": "Клерк К. К."})
        return {"top": top.id, "nsk": nsk.id}
    finally:
        system.close()


def _count(ecrm, catalog_id: int) -> int:
    system = ecrm.system()
    try:
        director = system.app.access.directors()[0]
        return system.app.counterparties.catalog_page(director.id, catalog_id).total
    finally:
        system.close()


def test_import_a_csv_by_catalog_name_with_a_report_then_again(initialised, catalogs,
                                                               tmp_path):
    path = write_csv(tmp_path / "clients.csv")
    report = tmp_path / "rejected.csv"
    result = initialised("import", "counterparties", str(path), "--catalog", "новосибирск",
                         "--rejected", str(report))
    assert SUMMARY.format(len(GOOD), 0, 0, len(BAD)) in result.stdout
    assert "«Новосибирск»" in result.stdout and f"rejected rows and the reasons: {report}" \
        in result.stdout
    assert "Importing" in result.stderr, "a progress bar on stderr"
    assert "ИНН → inn" in result.stderr and "Ignored columns: Комментарий" in result.stderr
    with open(report, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert rows[0] == ["row", *HEADERS, "errors"] and len(rows) == len(BAD) + 1
    assert "ИНН: INN checksum does not match" in rows[1][-1]
    assert _count(initialised, catalogs["nsk"]) == len(GOOD)

    again = initialised("import", "counterparties", str(path), "--catalog",
                        str(catalogs["nsk"]))
    assert SUMMARY.format(0, 0, len(GOOD), len(BAD)) in again.stdout
    assert _count(initialised, catalogs["nsk"]) == len(GOOD), "no duplicates"


def test_rejected_rows_are_shown_when_no_report_is_asked_for(initialised, catalogs, tmp_path):
    path = write_csv(tmp_path / "clients.csv", rows=[bad for bad, _ in BAD] * 3)
    result = initialised("import", "counterparties", str(path), "--catalog", "Клиенты")
    assert SUMMARY.format(0, 0, 0, 3 * len(BAD)) in result.stdout
    shown = [line for line in result.stderr.splitlines() if line.startswith("row ")]
    assert len(shown) == 10
    assert shown[0] == "row 2: ИНН: INN checksum does not match"
    assert f"… and {3 * len(BAD) - 10} more rejected rows" in result.stderr


def test_import_an_xlsx_by_catalog_id(initialised, catalogs, tmp_path):
    path = write_xlsx(tmp_path / "clients.xlsx")
    result = initialised("import", "counterparties", str(path), "--catalog",
                         str(catalogs["top"]))
    assert SUMMARY.format(len(GOOD), 0, 0, len(BAD)) in result.stdout
    assert _count(initialised, catalogs["top"]) == len(GOOD)


def test_an_explicit_mapping_of_columns(initialised, catalogs, tmp_path):
    headers = ["Клиент компании", "Налоговый номер", *HEADERS[2:]]
    path = write_csv(tmp_path / "odd.csv", headers=headers, rows=GOOD)
    refused = initialised("import", "counterparties", str(path), "--catalog", "Клиенты",
                          code=2)
    assert "--map: no column gives the name" in refused.output
    result = initialised("import", "counterparties", str(path), "--catalog", "Клиенты",
                         "--map", "Клиент компании=name", "--map", "2=inn",
                         "--map", "Статус=-")
    assert SUMMARY.format(len(GOOD), 0, 0, 0) in result.stdout
    assert "Налоговый номер → inn" in result.stderr


def test_a_cp1251_csv_with_commas(initialised, catalogs, tmp_path):
    path = write_csv(tmp_path / "win.csv", encoding="cp1251", delimiter=",")
    result = initialised("import", "counterparties", str(path), "--catalog", "Клиенты")
    assert SUMMARY.format(len(GOOD), 0, 0, len(BAD)) in result.stdout


@pytest.mark.parametrize("args, code, message", [
    (["--catalog", "Нет такого"], 2, "--catalog: no catalog named 'Нет такого'"),
    (["--catalog", "Архив"], 2, "--catalog: several catalogs are named 'Архив'"),
    (["--catalog", "99999"], 1, "catalog 99999 not found"),
    (["--catalog", "Клиенты", "--map", "ИНН=rating"], 2, "--map: 'rating' is not a card field"),
    (["--catalog", "Клиенты", "--map", "nonsense"], 2, "--map: 'nonsense': write COLUMN=FIELD"),
    (["--catalog", "Клиенты", "--encoding", "klingon"], 2, "--encoding: unknown encoding"),
    (["--catalog", "Клиенты", "--as", "clerk"], 1, "you may not create counterparty here"),
    (["--catalog", "Клиенты", "--as", "nobody"], 2, "--as: no employee with login 'nobody'"),
])
def test_bad_options_are_one_line_errors(initialised, catalogs, tmp_path, args, code,
                                         message):
    path = write_csv(tmp_path / "clients.csv")
    result = initialised("import", "counterparties", str(path), *args, code=code)
    assert message in result.output
    assert _count(initialised, catalogs["top"]) == 0


def test_unreadable_and_missing_files(initialised, catalogs, tmp_path):
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 64)
    result = initialised("import", "counterparties", str(tmp_path / "old.xls"), "--catalog",
                         "Клиенты", code=2)
    assert "FILE: old Excel .xls files are not read" in result.output
    missing = initialised("import", "counterparties", str(tmp_path / "none.csv"),
                          "--catalog", "Клиенты", code=2)
    assert "does not exist" in missing.output
    report_dir = tmp_path / "no-such-dir" / "out.csv"
    unwritable = initialised("import", "counterparties", str(write_csv(tmp_path / "c.csv")),
                             "--catalog", "Клиенты", "--rejected", str(report_dir), code=2)
    assert "--rejected: cannot write" in unwritable.output


def test_import_needs_an_initialised_database(ecrm, tmp_path):
    path = write_csv(tmp_path / "clients.csv")
    result = ecrm("import", "counterparties", str(path), "--catalog", "1", code=1)
    assert "ecrm init" in result.output
