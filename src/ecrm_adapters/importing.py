"""Importing counterparties from a file (issue 3): CSV or XLSX rows -> card fields ->
``CounterpartyService.import_rows``.

The file is streamed, never read whole: CSV through the ``csv`` module over a text
stream (UTF-8 with or without a BOM, or Windows-1251, told apart by the first 64 KiB;
``;``, ``,`` or tab as the separator, told by the header line), XLSX through openpyxl's
read-only mode (the first worksheet). The first non-empty row is the header; its column
names are matched to card fields in Russian or English («Наименование»/name, «ИНН»,
«КПП», «ОГРН», «Телефон», «E-mail», «Юридический адрес», «Тип»: ЮЛ/ФЛ/ИП, …), or by an
explicit mapping (``{"Клиент": "name", "3": "inn", "Комментарий": "-"}``).

Rows go to the service in chunks (``batch`` rows each); the service validates every row,
saves none of a rejected one, and recognises rows it has seen (by INN and KPP; without
an INN by name, phone and e-mail in the catalog), so importing the same file again
creates no duplicates. Rejected rows are written, with their reasons, to a CSV report
(UTF-8 with a BOM, ``;``-separated: Excel opens it, and it can be fixed and imported
again: its extra ``row`` and ``errors`` columns are ignored).

    from ecrm_adapters.importing import import_file
    result = import_file(system.app, actor_id, catalog_id, "clients.xlsx",
                         rejected_to="rejected.csv", progress=bar.update)
    result.created, result.updated, result.unchanged, result.rejected

For a form: ``open_table`` + ``resolve_mapping`` show the columns and the guessed
fields before importing; ``estimated_rows`` gives a progress bar its length.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import attrs

from ecrm_core.counterparties.requisites import fold
from ecrm_core.counterparties.services import IMPORT_BATCH
from ecrm_core.kernel.errors import ValidationFailed

Source = str | os.PathLike | IO[bytes]

#: Card fields a column may fill, with the header names recognised for each (compared
#: case-, ё- and punctuation-insensitively).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("Наименование", "Краткое наименование", "Сокращённое наименование",
             "Название", "Организация", "Контрагент", "Клиент", "Компания", "ФИО",
             "Name", "Short name", "Company", "Company name", "Organisation",
             "Organization", "Client", "Counterparty"),
    "full_name": ("Полное наименование", "Полное название", "Full name", "Legal name"),
    "type": ("Тип", "Вид", "Тип контрагента", "Вид контрагента", "Type", "Kind",
             "Counterparty type"),
    "inn": ("ИНН", "INN", "TIN", "Taxpayer ID"),
    "kpp": ("КПП", "KPP"),
    "ogrn": ("ОГРН", "ОГРНИП", "ОГРН/ОГРНИП", "ОГРН (ОГРНИП)", "OGRN", "OGRNIP", "PSRN"),
    "legal_address": ("Юридический адрес", "Юр. адрес", "Юрадрес", "Адрес",
                      "Адрес регистрации", "Legal address", "Registered address",
                      "Address"),
    "postal_address": ("Почтовый адрес", "Фактический адрес", "Адрес для корреспонденции",
                       "Postal address", "Mailing address", "Actual address"),
    "phone": ("Телефон", "Тел.", "Телефоны", "Номер телефона", "Phone", "Telephone",
              "Phone number"),
    "sms_phone": ("Телефон для SMS", "Телефон для СМС", "СМС", "SMS", "SMS phone"),
    "email": ("E-mail", "Email", "Эл. почта", "Электронная почта", "Почта", "Mail",
              "E-mail address"),
    "mailing_email": ("E-mail для рассылки", "Email для рассылки", "Почта для рассылки",
                      "E-mail для рассылок", "Mailing e-mail", "Mailing email",
                      "Newsletter e-mail"),
    "status": ("Статус", "Состояние", "Статус организации", "Status"),
    "okved": ("ОКВЭД", "Основной ОКВЭД", "OKVED"),
    "head": ("Руководитель", "Директор", "Генеральный директор", "Head", "Director", "CEO"),
    "export_1c": ("Выгрузка в 1С", "В 1С", "Export to 1C", "Export 1C"),
}
FIELDS: tuple[str, ...] = tuple(SYNONYMS)
#: An explicit mapping sends a column here to leave it out.
SKIP = ("-", "", "skip")

#: Values of «Тип» and «Статус» in words -> the card's values.
TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "legal_entity": ("ЮЛ", "Юр. лицо", "Юрлицо", "Юридическое лицо", "Организация",
                     "legal_entity", "Legal entity", "Legal", "Company"),
    "individual": ("ФЛ", "Физ. лицо", "Физлицо", "Физическое лицо", "Частное лицо",
                   "individual", "Person", "Private person"),
    "sole_proprietor": ("ИП", "Индивидуальный предприниматель", "sole_proprietor",
                        "Sole proprietor", "Sole trader"),
}
STATUS_WORDS: dict[str, tuple[str, ...]] = {
    "active": ("Действующая", "Действующее", "Действует", "Активная", "Активен",
               "active"),
    "liquidating": ("Ликвидируется", "В процессе ликвидации", "Ликвидация", "liquidating"),
    "liquidated": ("Ликвидирована", "Ликвидировано", "Ликвидирован", "liquidated"),
    "bankrupt": ("Банкрот", "Банкротство", "bankrupt"),
    "reorganising": ("Реорганизация", "Реорганизуется", "В процессе реорганизации",
                     "reorganising", "reorganizing"),
    "unknown": ("Неизвестно", "unknown"),
}
FLAG_WORDS = {"да": "true", "+": "true", "нет": "false", "-": "false"}

SNIFF_BYTES = 64 * 1024
#: The first line Excel may write to name the separator of a CSV file.
SEP_LINE = re.compile(r"^sep=([;,\t|])$", re.I)
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
#: At most this many rejected rows are kept in memory (all of them go to the report).
KEEP_REJECTED = 1000


def header_key(text: str) -> str:
    """A header (or a word) as compared: folded, letters and digits only."""
    return re.sub(r"[\W_]+", "", fold(text))


_HEADERS = {header_key(name): field for field, names in SYNONYMS.items() for name in names}
_HEADERS.update({header_key(field): field for field in FIELDS})
_TYPES = {header_key(w): value for value, words in TYPE_WORDS.items() for w in words}
_STATUSES = {header_key(w): value for value, words in STATUS_WORDS.items() for w in words}


def _bad_file(message: str) -> ValidationFailed:
    return ValidationFailed.single("file", message)


# -- reading a table -----------------------------------------------------------------------------


@attrs.define
class Table:
    """An opened file: its header and a stream of data rows."""

    format: str  # "csv" or "xlsx"
    headers: list[str]
    _rows: Iterator[tuple[int, list[Any]]]
    #: for progress bars: the number of data rows, as far as it can be told cheaply
    estimated_rows: int | None = None
    encoding: str | None = None
    delimiter: str | None = None

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number in the file, counting the header as its row, cells) of every
        data row that is not blank."""
        for number, cells in self._rows:
            if any(_text(c) for c in cells):
                yield number, cells


def _text(value: Any) -> str:
    """A cell as text: numbers without '.0', dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


@contextmanager
def _binary(source: Source):
    if isinstance(source, str | os.PathLike):
        try:
            handle = open(source, "rb")  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise _bad_file(f"cannot open {os.fspath(source)}: {exc.strerror}") from None
        try:
            yield handle
        finally:
            handle.close()
    else:
        yield source


def _guess_format(head: bytes, filename: str) -> str:
    suffix = Path(filename).suffix.lower() if filename else ""
    if head.startswith(OLE_MAGIC) or suffix == ".xls":
        raise _bad_file("old Excel .xls files are not read: save it as .xlsx or CSV")
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if suffix in (".xlsx", ".xlsm"):
        raise _bad_file("not an XLSX workbook (the file is damaged or of another kind)")
    return "csv"


def guess_encoding(head: bytes) -> str:
    """utf-8-sig (with or without a BOM) when the first bytes are UTF-8, else cp1251."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1251"
    return "utf-8-sig"


def guess_delimiter(line: str) -> str:
    """The separator of a header line: the most frequent of ; , and tab outside quotes."""
    outside = re.sub(r'"[^"]*"', "", line)
    counts = {d: outside.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _count_lines(handle: IO[bytes]) -> int:
    start = handle.tell()
    lines, last = 0, b"\n"
    while chunk := handle.read(256 * 1024):
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    handle.seek(start)
    return lines + (last != b"\n")


@contextmanager
def open_table(source: Source, *, filename: str = "", encoding: str | None = None
               ) -> Iterator[Table]:
    """Open a CSV or XLSX file (a path, or a seekable binary stream such as an upload)
    for reading row by row. Raises ValidationFailed on ``file`` when it cannot be read."""
    if isinstance(source, str | os.PathLike) and not filename:
        filename = os.fspath(source)
    with _binary(source) as handle:
        try:
            start = handle.tell()
            head = handle.read(SNIFF_BYTES)
            handle.seek(start)
        except (OSError, ValueError) as exc:
            raise _bad_file(f"cannot read the file: {exc}") from None
        if not head:
            raise _bad_file("the file is empty")
        kind = _guess_format(head, filename)
        if kind == "xlsx":
            with _open_xlsx(handle) as table:
                yield table
        else:
            with _open_csv(handle, head, encoding) as table:
                yield table


@contextmanager
def _open_csv(handle: IO[bytes], head: bytes, encoding: str | None) -> Iterator[Table]:
    chosen = encoding or guess_encoding(head)
    try:
        codecs.lookup(chosen)
    except LookupError:
        raise ValidationFailed.single("encoding", f"unknown encoding {chosen!r}") from None
    try:
        total_lines = _count_lines(handle) if handle.seekable() else None
    except OSError:
        total_lines = None
    text = io.TextIOWrapper(handle, encoding=chosen, newline="")
    try:
        try:
            first_line = head.decode(chosen, errors="replace").lstrip("\ufeff").splitlines()
        except LookupError:
            first_line = []
        line = next((ln for ln in first_line if ln.strip()), "")
        declared = SEP_LINE.match(line.strip())
        delimiter = declared.group(1) if declared else guess_delimiter(line)
        reader = csv.reader(text, delimiter=delimiter)
        records = _csv_records(reader, chosen)
        if declared:  # Excel's "sep=;" line: not a row
            next(records, None)
        number, headers, records = _header(records)
        estimated = None if total_lines is None else max(0, total_lines - number)
        yield Table("csv", [_text(h) for h in headers], records, estimated, chosen, delimiter)
    finally:
        text.detach()


def _csv_records(reader, encoding: str) -> Iterator[tuple[int, list[Any]]]:
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise _bad_file(f"row {number + 1}: the text is not {encoding}; give the "
                            "file's encoding") from None
        except csv.Error as exc:
            raise _bad_file(f"row {number + 1}: {exc}") from None
        number += 1
        yield number, cells


#: The header is looked for among this many first non-empty rows (a title may be above).
HEADER_SEARCH = 10


def _header(records: Iterator[tuple[int, list[Any]]]
            ) -> tuple[int, list[Any], Iterator[tuple[int, list[Any]]]]:
    """The header row and the rows after it: the first of the leading non-empty rows
    in which a column names a card field, else the first non-empty row."""
    seen: list[tuple[int, list[Any]]] = []
    for number, cells in records:
        if any(_text(c) for c in cells):
            seen.append((number, cells))
            if guess_mapping([_text(c) for c in cells]) or len(seen) >= HEADER_SEARCH:
                break
    if not seen:
        raise _bad_file("the file has no header row (no rows at all)")
    chosen = next((i for i, (_n, cells) in enumerate(seen)
                   if guess_mapping([_text(c) for c in cells])), 0)
    number, headers = seen[chosen]
    return number, headers, itertools.chain(seen[chosen + 1:], records)


@contextmanager
def _open_xlsx(handle: IO[bytes]) -> Iterator[Table]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise _bad_file(f"not a readable XLSX workbook ({exc})") from None
    try:
        if not workbook.worksheets:
            raise _bad_file("the workbook has no worksheets")
        sheet = workbook.worksheets[0]

        def records() -> Iterator[tuple[int, list[Any]]]:
            try:
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                    yield number, list(values)
            except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
                raise _bad_file(f"the workbook is damaged: {exc}") from None

        number, headers, rows = _header(records())
        max_row = getattr(sheet, "max_row", None)
        estimated = max(0, max_row - number) if isinstance(max_row, int) else None
        yield Table("xlsx", [_text(h) for h in headers], rows, estimated)
    finally:
        workbook.close()


# -- columns -> card fields -------------------------------------------------------------------------


def guess_mapping(headers: list[str]) -> dict[int, str]:
    """Column index -> card field for the headers that name one (the first column
    wins when two name the same field)."""
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        field = _HEADERS.get(header_key(header))
        if field and field not in mapping.values():
            mapping[index] = field
    return mapping


def parse_map_options(items: Iterable[str]) -> dict[str, str]:
    """``["Клиент=name", "3=inn", "Комментарий=-"]`` -> {column: field}."""
    out: dict[str, str] = {}
    for item in items:
        column, sep, field = item.rpartition("=")
        if not sep or not column.strip():
            raise ValidationFailed.single(
                "map", f"{item!r}: write COLUMN=FIELD, e.g. 'Клиент=name' or '3=inn'")
        out[column.strip()] = field.strip()
    return out


def _column_index(headers: list[str], column: str) -> int | None:
    text = column.lstrip("#")
    if text.isdigit() and 1 <= int(text) <= len(headers):
        by_name = [i for i, h in enumerate(headers) if h.strip() == column]
        return by_name[0] if by_name else int(text) - 1
    key = header_key(column)
    return next((i for i, h in enumerate(headers) if header_key(h) == key and key), None)


def resolve_mapping(headers: list[str], explicit: Mapping[str, str] | None = None
                    ) -> dict[int, str]:
    """The guessed mapping with ``explicit`` entries on top: a column (its header, or
    its number from 1) -> a card field, or ``-`` to leave the column out. A field named
    explicitly is taken from that column only. Raises ValidationFailed on ``map``."""
    mapping = guess_mapping(headers)
    problems: list[str] = []
    for column, field in (explicit or {}).items():
        index = _column_index(headers, column)
        field = field.strip()
        if index is None:
            problems.append(f"no column {column!r} in the file")
            continue
        if field.lower() in SKIP:
            mapping.pop(index, None)
            continue
        if field not in FIELDS:
            problems.append(f"{field!r} is not a card field (one of: {', '.join(FIELDS)})")
            continue
        for other, taken in list(mapping.items()):
            if taken == field and other != index:
                del mapping[other]
        mapping[index] = field
    if problems:
        raise ValidationFailed.single("map", "; ".join(problems))
    if "name" not in mapping.values():
        shown = ", ".join(repr(h) for h in headers if h) or "none"
        raise ValidationFailed.single(
            "map", f"no column gives the name (columns: {shown}); map one with "
                   "COLUMN=name")
    return dict(sorted(mapping.items()))


def _pad(value: Any, text: str, field: str) -> str:
    """Spreadsheets keep INNs and KPPs as numbers and drop a leading zero (INNs of
    regions 01-09): put it back when the number is one digit short."""
    if isinstance(value, int | float) and not isinstance(value, bool) and text.isdigit():
        if field == "inn" and len(text) in (9, 11):
            return "0" + text
        if field == "kpp" and len(text) == 8:
            return "0" + text
    return text


def _infer_type(row: dict[str, str]) -> str:
    """A row without «Тип»: a sole proprietor by «ИП …» or a 15-digit OGRNIP, an
    individual by a 12-digit INN, else a legal entity."""
    name = fold(row.get("name", ""))
    if name.startswith(("ип ", "и.п.")) or "индивидуальный предприниматель" in name \
            or len(row.get("ogrn", "")) == 15:
        return "sole_proprietor"
    if len(row.get("inn", "").replace(" ", "")) == 12:
        return "individual"
    return "legal_entity"


def card_fields(cells: list[Any], mapping: Mapping[int, str]) -> dict[str, str]:
    """One row's card fields: empty cells are left out (an import never blanks a field
    of a card it updates); words of «Тип», «Статус» and yes/no cells become values."""
    row: dict[str, str] = {}
    for index, field in mapping.items():
        value = cells[index] if index < len(cells) else None
        text = _pad(value, _text(value), field)
        if not text:
            continue
        if field == "type":
            text = _TYPES.get(header_key(text), text)
        elif field == "status":
            text = _STATUSES.get(header_key(text), text)
        elif field == "export_1c":
            text = FLAG_WORDS.get(text.lower(), text)
        row[field] = text
    if "type" not in row:
        row["type"] = _infer_type(row)
    return row


# -- importing -------------------------------------------------------------------------------------


@attrs.frozen
class RejectedRow:
    row: int  # in the file, the header row counting as 1
    errors: dict[str, str]  # column header (or field) -> message

    @property
    def reasons(self) -> str:
        return "; ".join(f"{k}: {v}" for k, v in self.errors.items())


@attrs.frozen
class ImportResult:
    created: int
    updated: int
    unchanged: int
    rejected: int
    #: the first rejected rows (at most KEEP_REJECTED; the report file has them all)
    rejected_rows: tuple[RejectedRow, ...]
    #: column header -> card field, as used
    columns: dict[str, str]
    #: headers of the columns that were not imported
    ignored: tuple[str, ...]
    format: str

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected


class RejectedReport:
    """The CSV of rejected rows: ``row``, the file's own columns, ``errors``."""

    def __init__(self, target: str | os.PathLike | IO[str], headers: list[str]) -> None:
        if isinstance(target, str | os.PathLike):
            try:
                self._own = open(target, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
            except OSError as exc:
                raise ValidationFailed.single(
                    "rejected", f"cannot write {os.fspath(target)}: {exc.strerror}") from None
            self.stream: IO[str] = self._own
        else:
            self._own = None
            self.stream = target
        self.writer = csv.writer(self.stream, delimiter=";")
        self.width = len(headers)
        self.writer.writerow(["row", *headers, "errors"])

    def add(self, number: int, cells: list[Any], reasons: str) -> None:
        texts = [_text(c) for c in cells[:self.width]]
        texts += [""] * (self.width - len(texts))
        self.writer.writerow([number, *texts, reasons])

    def close(self, discard: bool = False) -> None:
        """Close the report; ``discard`` removes a file of ours (the import was refused
        before any row was done)."""
        if self._own is not None:
            self._own.close()
            if discard:
                Path(self._own.name).unlink(missing_ok=True)
        else:
            self.stream.flush()


def import_file(
    app, actor_id: int, catalog_id: int, source: Source, *, filename: str = "",
    mapping: Mapping[str, str] | None = None,
    rejected_to: str | os.PathLike | IO[str] | None = None,
    progress: Callable[[int], None] | None = None, encoding: str | None = None,
    batch: int = IMPORT_BATCH,
) -> ImportResult:
    """Import the counterparties of a CSV or XLSX file into a catalog, as ``actor_id``
    (who needs the right to register cards there). ``app`` is the core's Application.
    ``progress(n)`` is called as rows are done (n rows at a time); ``rejected_to``
    (a path or a text stream) receives the rejected rows with their reasons."""
    with open_table(source, filename=filename, encoding=encoding) as table:
        columns = resolve_mapping(table.headers, mapping)
        labels = {field: table.headers[i] or field for i, field in columns.items()}
        report = RejectedReport(rejected_to, table.headers) if rejected_to is not None else None
        totals = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
        kept: list[RejectedRow] = []
        chunk: list[tuple[int, list[Any]]] = []
        ran = done_any = False

        def run() -> None:
            nonlocal ran, done_any
            ran = True
            rows = [card_fields(cells, columns) for _number, cells in chunk]
            done = app.counterparties.import_rows(actor_id, catalog_id, rows, batch=batch,
                                                  progress=progress)
            done_any = True
            totals["created"] += done.created
            totals["updated"] += done.updated
            totals["unchanged"] += done.unchanged
            for index, errors in done.rejected:
                number, cells = chunk[index - 1]
                rejected = RejectedRow(number, {labels.get(f, f): m for f, m in errors.items()})
                totals["rejected"] += 1
                if len(kept) < KEEP_REJECTED:
                    kept.append(rejected)
                if report is not None:
                    report.add(number, cells, rejected.reasons)
            chunk.clear()

        try:
            for item in table.rows():
                chunk.append(item)
                if len(chunk) >= batch:
                    run()
            if chunk or not ran:
                run()
        except BaseException:
            if report is not None:
                report.close(discard=not done_any)
            raise
        if report is not None:
            report.close()
        return ImportResult(
            created=totals["created"], updated=totals["updated"],
            unchanged=totals["unchanged"], rejected=totals["rejected"],
            rejected_rows=tuple(kept),
            columns={table.headers[i] or f"#{i + 1}": f for i, f in columns.items()},
            ignored=tuple(h for i, h in enumerate(table.headers) if i not in columns and h),
            format=table.format,
        )


__all__ = [
    "FIELDS", "SYNONYMS", "ImportResult", "RejectedReport", "RejectedRow", "Table",
    "card_fields", "guess_delimiter", "guess_encoding", "guess_mapping", "import_file",
    "open_table", "parse_map_options", "resolve_mapping",
]
