"""Sales documents at scale (issue 5, PRD-3, INV-1): the price on a date over a price list of
I items × P price types × C price changes, and the creation of invoices of L lines priced
from it, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/sales.py                      # I = 100,000, P = 10, C = 20
    .venv/bin/python benchmarks/sales.py --items 10000 --no-pg
    .venv/bin/python benchmarks/sales.py --pg postgresql://postgres@127.0.0.1/postgres --no-sqlite

What it does, on each database:
1. SQLite: a new file in a temporary folder. PostgreSQL (``--pg URL`` or
   ECRM_TEST_DATABASE_URL; ``--no-pg`` skips it): a new database ``ecrm_bench_<pid>`` on
   the same server (the database named in the URL is never touched), dropped at the end.
   The schema comes from the Alembic migrations; the Company, its Director, P price types
   and 1,000 counterparties (the client base benchmark's generator) are made first.
2. Generation (setup, not measured): I items in 100 groups; for every item and price type
   C prices, each valid from its change to the next (the last one open-ended), the
   changes 30 to 150 days apart from 2019 on — I × P × C rows, with Core ``insert()``
   executemany (SQLite) or ``COPY`` (PostgreSQL) while the table's secondary indexes,
   triggers and constraints (the no-overlap guards) are dropped; they are created again
   afterwards (PostgreSQL then checks the exclusion constraint over every row).
3. Measures, p50/p95 over ``--repeat`` calls each (after a warm-up):
   - the floor: a trivial service call (``price_types``: the policy and one tiny query);
   - ``ProductService.price_on`` for random items, price types and days from 2019 to the
     end of the list (target p95 <= 5 ms), beside the same query run as a plain scan
     (``NOT INDEXED`` on SQLite; index and bitmap scans off on PostgreSQL) — the baseline;
   - ``InvoiceService.create`` with L lines naming random items, each priced from the list
     for the client's price type on the invoice's date (target p95 <= 50 ms), beside the
     same invoice row inserted with Core ``insert()`` (the database's share).
4. Prints markdown tables with the targets.

Only the local databases named are contacted; everything made is removed at the end.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time as clock
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from client_base import (
    Target,
    Timing,
    add_target_options,
    generate,
    make_system,
    measure,
    run_on_targets,
)
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine

from ecrm_adapters.sqlalchemy import tables as t
from ecrm_adapters.sqlalchemy.migrate import upgrade
from ecrm_core.money import Money

TARGETS = {"price": 5.0, "invoice": 50.0}
FIRST_CHANGE = date(2019, 1, 1)
CHUNK = 50_000
NULL = "\\N"  # COPY's NULL


def change_days(item: int, kind: int, changes: int) -> list[date]:
    rnd = random.Random(item * 1009 + kind)
    day, days = FIRST_CHANGE + timedelta(days=rnd.randrange(0, 60)), []
    for _ in range(changes):
        days.append(day)
        day += timedelta(days=rnd.randrange(30, 151))
    return days


def price_rows(item_ids: list[int], type_ids: list[int], changes: int):
    for item in item_ids:
        for k, kind in enumerate(type_ids):
            days = change_days(item, k, changes)
            base = 100 + (item * 37 + k * 11) % 90_000
            for n, day in enumerate(days):
                yield {"version": 1, "item_id": item, "price_type_id": kind, "valid_from": day,
                       "valid_to": days[n + 1] if n + 1 < len(days) else None,
                       "amount": Money(Decimal(base + n * 13) + Decimal("0.90"))}


# -- the price table's guards, dropped during the load --------------------------------------


def _sqlite_guards(engine: Engine) -> list[str]:
    with engine.begin() as conn:
        found = conn.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'prices' "
            "AND type IN ('index', 'trigger') AND sql IS NOT NULL").all()
        for kind, name, _sql in found:
            conn.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
    return [sql for _kind, _name, sql in found]


def _pg_guards(engine: Engine, exclusion: bool = True) -> list[str]:
    with engine.begin() as conn:
        constraints = conn.exec_driver_sql(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'prices'::regclass AND contype IN ('x', 'f')").all()
        indexes = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'prices' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'prices'::regclass)").all()
        for name, _d in constraints:
            conn.exec_driver_sql(f'ALTER TABLE prices DROP CONSTRAINT "{name}"')
        for name, _d in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [d for _n, d in indexes] + [
        f'ALTER TABLE prices ADD CONSTRAINT "{n}" {d}' for n, d in constraints
        if exclusion or not d.startswith("EXCLUDE")]


def load_prices(engine: Engine, dialect: str, item_ids: list[int], type_ids: list[int],
                changes: int, say, exclusion: bool = True) -> int:
    guards = _pg_guards(engine, exclusion) if dialect == "postgresql" \
        else _sqlite_guards(engine)
    total, batch = 0, []
    started = clock.perf_counter()

    def flush() -> None:
        nonlocal total
        if not batch:
            return
        if dialect == "postgresql":
            buffer = io.StringIO()
            for r in batch:
                until = r["valid_to"] or NULL
                buffer.write(f"1\t{r['item_id']}\t{r['price_type_id']}\t{r['valid_from']}\t"
                             f"{until}\t{r['amount'].amount}\n")
            buffer.seek(0)
            raw = engine.raw_connection()
            try:
                with raw.cursor() as cur, cur.copy(
                        "COPY prices (version, item_id, price_type_id, valid_from, valid_to, "
                        "amount) FROM STDIN") as copy:
                    copy.write(buffer.read())
                raw.commit()
            finally:
                raw.close()
        else:
            with engine.begin() as conn:
                conn.execute(insert(t.prices), batch)
        total += len(batch)
        batch.clear()
        if total % (CHUNK * 20) == 0:
            say(f"  {total:,} prices ({total / (clock.perf_counter() - started):,.0f}/s)")

    for row in price_rows(item_ids, type_ids, changes):
        batch.append(row)
        if len(batch) >= CHUNK:
            flush()
    flush()
    say(f"  {total:,} prices loaded in {clock.perf_counter() - started:.0f} s; "
        f"re-creating {len(guards)} indexes/guards")
    started = clock.perf_counter()
    with engine.begin() as conn:
        for ddl in guards:
            conn.exec_driver_sql(ddl)
        conn.exec_driver_sql("ANALYZE prices" if dialect == "postgresql" else "ANALYZE")
    say(f"  guards back in {clock.perf_counter() - started:.0f} s")
    return total


def scan_price(engine: Engine, dialect: str, args: list[tuple]) -> Timing:
    """The price on a day found without the index: the baseline."""
    sql = ("SELECT id, amount FROM prices {hint} WHERE item_id = :i AND price_type_id = :k "
           "AND valid_from <= :d ORDER BY valid_from DESC LIMIT 1")
    timing = Timing()
    with engine.connect() as conn:
        if dialect == "postgresql":
            conn.exec_driver_sql("SET enable_indexscan = off")
            conn.exec_driver_sql("SET enable_bitmapscan = off")
            conn.exec_driver_sql("SET enable_indexonlyscan = off")
        query = text(sql.format(hint="NOT INDEXED" if dialect == "sqlite" else ""))
        for item, kind, day in args:
            started = clock.perf_counter()
            conn.execute(query, {"i": item, "k": kind, "d": day}).all()
            timing.samples.append((clock.perf_counter() - started) * 1000)
    return timing


def run(target: Target, args: argparse.Namespace, folder: Path, say) -> list[tuple]:
    upgrade(target.url)
    system = make_system(target.url, folder / target.dialect)
    app, engine = system.app, system.engine
    rnd = random.Random(args.seed)
    try:
        d = app.org.found_company("ООО «Бенчмарк»", {
            "login": "director", "password": "director-pass", "full_name": "Директор Д. Д."}).id
        top = app.catalogs.create(d, {"name": "Клиенты"})
        generate(engine, target.dialect, 1000, [top.id], d, say)
        with engine.connect() as conn:
            client_ids = [r[0] for r in conn.execute(select(t.counterparties.c.id))]
        type_ids = [p.id for p in app.products.price_types(d)]
        for n in range(len(type_ids), args.price_types):
            type_ids.append(app.products.save_price_type(
                d, {"code": f"type_{n}", "name": f"Тип цены {n}"}).id)
        type_ids = type_ids[:args.price_types]
        groups = [app.products.save_group(d, {"name": f"Группа {g:03d}"}).id
                  for g in range(100)]
        say(f"{target.label}: {args.items:,} items")
        with engine.begin() as conn:
            for start in range(0, args.items, CHUNK):
                conn.execute(insert(t.items), [
                    {"version": 1, "name": f"Позиция {i:06d}", "item_kind": "goods",
                     "group_id": groups[i % len(groups)], "unit": "шт", "vat_rate": "22",
                     "article": f"A{i:06d}", "description": "", "active": True}
                    for i in range(start, min(args.items, start + CHUNK))])
        with engine.connect() as conn:
            item_ids = [r[0] for r in conn.execute(select(t.items.c.id).order_by(t.items.c.id))]
        say(f"{target.label}: {args.items * len(type_ids) * args.changes:,} prices")
        loaded = load_prices(engine, target.dialect, item_ids, type_ids, args.changes, say,
                             exclusion=not args.no_exclusion)
        last_day = FIRST_CHANGE + timedelta(days=150 * args.changes)

        results = []
        say(f"{target.label}: measuring")
        floor = measure(lambda _a: app.products.price_types(d), list(range(args.repeat)))
        results.append(("floor: a trivial service call (`price_types`)", floor, None, None))
        lookups = [(rnd.choice(item_ids), rnd.choice(type_ids),
                    FIRST_CHANGE + timedelta(days=rnd.randrange((last_day - FIRST_CHANGE).days)))
                   for _ in range(args.repeat)]

        def price_on(a):
            try:
                app.products.price_on(d, *a)
            except Exception as exc:  # a day before the item's first price: NotFound
                if type(exc).__name__ != "NotFound":
                    raise

        timing = measure(price_on, lookups)
        base = scan_price(engine, target.dialect, lookups[:args.baseline_repeat])
        results.append((f"price on a date ({loaded:,} prices)", timing, base, TARGETS["price"]))

        invoices = [{"counterparty_id": rnd.choice(client_ids), "lines": [
            {"item_id": rnd.choice(item_ids), "quantity": rnd.randrange(1, 20)}
            for _ in range(args.lines)]} for _ in range(args.repeat)]
        made: list[int] = []

        def create(data):
            made.append(app.invoices.create(d, data).id)

        timing = measure(create, invoices)
        with engine.connect() as conn:
            row = dict(conn.execute(select(t.invoices).where(t.invoices.c.id == made[-1]))
                       .mappings().one())
        row.pop("id")
        core = Timing()
        for n in range(min(args.repeat, 200)):
            row["number"] = f"core-{n}"
            started = clock.perf_counter()
            with engine.begin() as conn:
                conn.execute(insert(t.invoices), row)
            core.samples.append((clock.perf_counter() - started) * 1000)
        results.append((f"create an invoice of {args.lines} lines priced from the list",
                        timing, core, TARGETS["invoice"]))
    finally:
        system.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000, help="items (I)")
    parser.add_argument("--price-types", type=int, default=10, help="price types (P)")
    parser.add_argument("--changes", type=int, default=20, help="price changes (C)")
    parser.add_argument("--lines", type=int, default=50, help="lines per invoice (L)")
    parser.add_argument("--repeat", type=int, default=300, help="calls per measure")
    parser.add_argument("--baseline-repeat", type=int, default=20,
                        help="scans for the baseline (each reads the whole table)")
    add_target_options(parser)
    parser.add_argument("--no-exclusion", action="store_true",
                        help="PostgreSQL: leave the no-overlap exclusion constraint off after "
                        "the load (building it over 20M rows takes ~25 minutes here; the "
                        "measured reads and the invoice writes never use it)")
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args(argv)
    if not (100 <= args.items <= 1_000_000 and 2 <= args.price_types <= 50
            and 1 <= args.changes <= 100 and 1 <= args.lines <= 500 and args.repeat >= 20):
        parser.error("--items 100 to 1,000,000; --price-types 2 to 50; --changes 1 to 100; "
                     "--lines 1 to 500; --repeat at least 20")

    return run_on_targets(args, run, [
        f"sales benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"I = {args.items:,} items × P = {args.price_types} price types × "
        f"C = {args.changes} changes; invoices of {args.lines} lines; "
        f"{args.repeat} calls per measure, {args.baseline_repeat} scans for the baseline",
    ])


if __name__ == "__main__":
    sys.exit(main())
