"""The long sales cycle at scale (issue 6, DEAL-3, RPT-4): the pipeline board of a template
with 100,000 open deals and the forecast over 1,000,000 deals, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/deals.py                      # 1,000,000 deals
    .venv/bin/python benchmarks/deals.py --deals 200000 --board-open 20000 --no-pg
    .venv/bin/python benchmarks/deals.py --pg postgresql://postgres@127.0.0.1/postgres --no-sqlite

What it does, on each database:
1. SQLite: a new file in a temporary folder. PostgreSQL (``--pg URL`` or
   ECRM_TEST_DATABASE_URL; ``--no-pg`` skips it): a new database ``ecrm_bench_<pid>``,
   dropped at the end. Schema from the Alembic migrations; the Company, its Director (the
   default deal templates come with it), 20 managers in 4 directions and 10,000
   counterparties (the client base benchmark's generator).
2. Generation (setup, not measured), with Core ``insert()`` executemany: ``--deals`` deals
   over 10 templates (copies of the default B2B connection template); the measured
   template holds ``--board-open`` open deals spread over its open states plus as many
   closed ones; the rest are 60 % open, 40 % won or lost; expected close dates over 18
   months around the measured day; a fifth of the open deals with two planned payments;
   50,000 invoices with a payment each, a third of them issued for a deal. Then ANALYZE
   (SQLite) or VACUUM (ANALYZE) (PostgreSQL: what autovacuum does soon after a bulk load —
   the visibility map the index-only scans need).
3. Measures, p50/p95 over ``--repeat`` calls each (after a warm-up):
   - the floor: a trivial service call (``deal_templates.templates``);
   - ``DealService.board`` — the first render of the measured template's columns with
     their totals and first 20 cards (target p95 <= 200 ms) and the same filtered by a
     manager; the baseline: the same totals counted in Python from the open deals of the
     template read row by row (what a board without the grouped query would do);
   - ``DealService.forecast`` — 12 months over all deals (target p95 <= 1 s); the
     baseline: the same figures counted in Python from every deal row read.
4. Prints markdown tables with the targets.

Only the local databases named are contacted; everything made is removed at the end.
"""

from __future__ import annotations

import argparse
import random
import sys
import time as clock
from collections import defaultdict
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
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from ecrm_adapters.sqlalchemy import tables as t
from ecrm_adapters.sqlalchemy.migrate import upgrade
from ecrm_core.deals.defaults import CONNECTION
from ecrm_core.money import Money
from ecrm_core.workflow.definition import dump_definition

TARGETS = {"board": 200.0, "forecast": 1000.0}
TODAY = date(2026, 11, 1)
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CHUNK = 20_000
TEMPLATES = 10


def _deal_row(n: int, template_id: int, state, client_ids, managers, projects,
              rnd: random.Random, open_: bool) -> dict:
    entered = NOW - timedelta(hours=rnd.randrange(1, 24 * 60))
    amount = Decimal(rnd.randrange(10_000, 5_000_000)).quantize(Decimal("0.01"))
    probability = state.probability or 0
    close = TODAY + timedelta(days=rnd.randrange(-90, 450))
    due = entered + timedelta(days=(state.norm_days or 5) * 7 / 5) if open_ else None
    return {
        "version": 1, "number": f"B{n:07d}", "template_id": template_id,
        "counterparty_id": client_ids[n % len(client_ids)], "name": f"Сделка {n}",
        "manager_id": managers[n % len(managers)], "author_id": managers[0],
        "amount": Money(amount), "expected_close_on": close,
        "project_id": projects[n % len(projects)], "contact_id": None, "attributes": {},
        "approvals": (), "state": state.code, "state_entered_at": entered,
        "due_in_state": due, "probability": probability,
        "outcome": None if open_ else (state.outcome.value if state.outcome else None),
        "close_reason": "" if open_ or state.outcome is None or state.outcome.value == "won"
        else "Дорого",
        "closed_at": None if open_ else entered, "created_at": entered - timedelta(days=3),
        "note": "",
    }


def _columns_of(table) -> set[str]:
    return {c.name for c in table.columns}


def load(engine: Engine, args, template_ids: list[int], state_sets: dict[int, list],
         client_ids: list[int], managers: list[int], projects: list[int], say) -> int:
    """Deals (and planned payments, invoices, payments) with Core inserts; returns the
    number of open deals of the measured template."""
    rnd = random.Random(args.seed)
    columns = _columns_of(t.deals)
    made, batch, payments = 0, [], []
    started = clock.perf_counter()

    def flush() -> None:
        nonlocal made
        if batch:
            with engine.begin() as conn:
                conn.execute(insert(t.deals), [{k: v for k, v in r.items() if k in columns}
                                               for r in batch])
            made += len(batch)
            batch.clear()
            if made % (CHUNK * 10) == 0:
                say(f"  {made:,} deals ({made / (clock.perf_counter() - started):,.0f}/s)")

    measured = template_ids[0]
    open_states = {tid: [s for s in states if not s.final] for tid, states in state_sets.items()}
    closed_states = {tid: [s for s in states if s.final] for tid, states in state_sets.items()}
    plan: list[tuple[int, bool]] = [(measured, True)] * args.board_open
    plan += [(measured, False)] * args.board_open
    rest = args.deals - len(plan)
    for i in range(rest):
        plan.append((template_ids[1 + i % (len(template_ids) - 1)], rnd.random() < 0.6))
    for n, (tid, open_) in enumerate(plan, start=1):
        state = rnd.choice(open_states[tid] if open_ else closed_states[tid])
        batch.append(_deal_row(n, tid, state, client_ids, managers, projects, rnd, open_))
        if len(batch) >= CHUNK:
            flush()
    flush()
    say(f"  {made:,} deals in {clock.perf_counter() - started:.0f} s")
    # planned payments: two for a fifth of the open deals
    with engine.connect() as conn:
        open_deals = conn.execute(select(t.deals.c.id, t.deals.c.counterparty_id,
                                         t.deals.c.amount, t.deals.c.expected_close_on)
                                  .where(t.deals.c.closed_at.is_(None))).all()
    pay_columns = _columns_of(t.deal_payments)
    for deal_id, client_id, amount, close in open_deals[::5]:
        for share, shift in ((Decimal("0.5"), -30), (Decimal("0.5"), 0)):
            payments.append({k: v for k, v in {
                "version": 1, "deal_id": deal_id, "counterparty_id": client_id,
                "amount": Money.rounded(amount.amount * share), "state": "payment",
                "due_on": close + timedelta(days=shift), "created_at": NOW}.items()
                if k in pay_columns})
    for start in range(0, len(payments), CHUNK):
        with engine.begin() as conn:
            conn.execute(insert(t.deal_payments), payments[start:start + CHUNK])
    if "planned" in columns:
        # the deals' denormalised sum of planned payments, when the schema keeps one
        sums: dict[int, Decimal] = defaultdict(Decimal)
        for p in payments:
            sums[p["deal_id"]] += p["amount"].amount
        with engine.begin() as conn:
            for deal_id, total in sums.items():
                conn.execute(t.deals.update().where(t.deals.c.id == deal_id)
                             .values(planned=Money(total)))
    say(f"  {len(payments):,} planned payments")
    # invoices with a payment each, a third for a deal
    inv_columns = _columns_of(t.invoices)
    ids = [d[0] for d in open_deals]
    invoices = []
    for n in range(args.invoices):
        total = Money(Decimal(rnd.randrange(1_000, 500_000)))
        invoices.append({k: v for k, v in {
            "version": 1, "number": f"BI{n:07d}", "issued_on": TODAY - timedelta(days=n % 300),
            "counterparty_id": client_ids[n % len(client_ids)], "author_id": managers[0],
            "vat_included": True, "lines": (), "total": total, "vat": Money.zero(),
            "paid": total, "state": "paid", "requisites": {}, "contact_name": "", "note": "",
            "created_at": NOW, "deal_id": ids[n % len(ids)] if n % 3 == 0 and ids else None,
        }.items() if k in inv_columns})
    for start in range(0, len(invoices), CHUNK):
        with engine.begin() as conn:
            conn.execute(insert(t.invoices), invoices[start:start + CHUNK])
    with engine.connect() as conn:
        rows = conn.execute(select(t.invoices.c.id, t.invoices.c.counterparty_id,
                                   t.invoices.c.total, t.invoices.c.issued_on)).all()
    pays = [{"version": 1, "invoice_id": i, "counterparty_id": c, "amount": total,
             "paid_on": day + timedelta(days=5), "planned": False, "reference": "",
             "note": "", "created_at": NOW} for i, c, total, day in rows]
    pay_cols = _columns_of(t.payments)
    for start in range(0, len(pays), CHUNK):
        with engine.begin() as conn:
            conn.execute(insert(t.payments), [{k: v for k, v in p.items() if k in pay_cols}
                                              for p in pays[start:start + CHUNK]])
    say(f"  {len(invoices):,} invoices with their payments")
    if engine.dialect.name == "postgresql":
        # what autovacuum does within minutes of a bulk load: the statistics, and the
        # visibility map that lets the board's and the forecast's index-only scans skip
        # the table (right after the load every index entry would send them to its row)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return args.board_open


def board_baseline(engine: Engine, template_id: int, repeat: int) -> Timing:
    """The columns' totals counted in Python from the template's open deals."""
    timing = Timing()
    d = t.deals
    for _ in range(repeat):
        started = clock.perf_counter()
        totals: dict[str, list] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
        with engine.connect() as conn:
            for state, amount, probability in conn.execute(
                    select(d.c.state, d.c.amount, d.c.probability)
                    .where(d.c.template_id == template_id, d.c.closed_at.is_(None))):
                cell = totals[state]
                cell[0] += 1
                cell[1] += amount.amount
                cell[2] += amount.amount * probability / 100
        timing.samples.append((clock.perf_counter() - started) * 1000)
    return timing


def forecast_baseline(engine: Engine, repeat: int) -> Timing:
    """The forecast's months counted in Python from every deal row."""
    timing = Timing()
    d = t.deals
    for _ in range(repeat):
        started = clock.perf_counter()
        months: dict[date, Decimal] = defaultdict(Decimal)
        with engine.connect() as conn:
            for amount, probability, close, closed in conn.execute(
                    select(d.c.amount, d.c.probability, d.c.expected_close_on, d.c.closed_at)):
                if closed is None and close is not None:
                    months[close.replace(day=1)] += amount.amount * probability / 100
        timing.samples.append((clock.perf_counter() - started) * 1000)
    return timing


def run(target: Target, args: argparse.Namespace, folder: Path, say) -> list[tuple]:
    upgrade(target.url)
    system = make_system(target.url, folder / target.dialect)
    app, engine = system.app, system.engine
    try:
        d = app.org.found_company("ООО «Бенчмарк»", {
            "login": "director", "password": "director-pass", "full_name": "Директор Д. Д."}).id
        top = app.catalogs.create(d, {"name": "Клиенты"})
        generate(engine, target.dialect, 10_000, [top.id], d, say)
        with engine.connect() as conn:
            client_ids = [r[0] for r in conn.execute(select(t.counterparties.c.id))]
        projects = [app.org.create_project(d, {"name": f"Направление {p}"}).id
                    for p in range(4)]
        managers = [app.org.add_employee(d, {"login": f"m{m}", "password": "manager-pass",
                                             "full_name": f"Менеджер {m}"}).id
                    for m in range(20)]
        definition = dump_definition(CONNECTION.states, CONNECTION.transitions)
        template_ids, state_sets = [], {}
        for n in range(TEMPLATES):
            tpl = app.deal_templates.create(d, {
                "code": f"bench_{n}", "name": f"Шаблон {n}",
                "attributes": [{"code": a.code, "label": a.label, "type": a.type.value}
                               for a in CONNECTION.attributes], **definition})
            template_ids.append(tpl.id)
            state_sets[tpl.id] = list(CONNECTION.states)
        say(f"{target.label}: {args.deals:,} deals")
        open_count = load(engine, args, template_ids, state_sets, client_ids, managers,
                          projects, say)
        system.app.clock.now = lambda: NOW  # the deals were made around this moment

        results = []
        say(f"{target.label}: measuring")
        floor = measure(lambda _a: app.deal_templates.templates(d), list(range(args.repeat)))
        results.append(("floor: a trivial service call (`deal_templates.templates`)",
                        floor, None, None))
        board = measure(lambda _a: app.deals.board(d, template_ids[0]),
                        list(range(args.repeat)))
        base = board_baseline(engine, template_ids[0], args.baseline_repeat)
        results.append((f"board: first render, {open_count:,} open deals in the template",
                        board, base, TARGETS["board"]))
        filtered = measure(lambda m: app.deals.board(d, template_ids[0], {"manager_id": m}),
                           [managers[i % len(managers)] for i in range(args.repeat)])
        results.append(("board filtered by a manager", filtered, None, TARGETS["board"]))
        forecast = measure(lambda _a: app.deals.forecast(
            d, {"start": TODAY.isoformat(), "months": 12}), list(range(args.forecast_repeat)),
            warmup=2)
        base = forecast_baseline(engine, max(2, args.baseline_repeat // 5))
        results.append((f"forecast, 12 months over {args.deals:,} deals", forecast, base,
                        TARGETS["forecast"]))
        by_manager = measure(lambda m: app.deals.forecast(
            d, {"start": TODAY.isoformat(), "months": 12, "manager_id": m}),
            [managers[i % len(managers)] for i in range(args.forecast_repeat)], warmup=2)
        results.append(("forecast of one manager", by_manager, None, TARGETS["forecast"]))
    finally:
        system.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=1_000_000, help="deals in all")
    parser.add_argument("--board-open", type=int, default=100_000,
                        help="open deals of the measured template")
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=100, help="board calls per measure")
    parser.add_argument("--forecast-repeat", type=int, default=30,
                        help="forecast calls per measure")
    parser.add_argument("--baseline-repeat", type=int, default=10)
    add_target_options(parser)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args(argv)
    if not (1_000 <= args.deals <= 5_000_000 and 100 <= args.board_open * 2 <= args.deals
            and args.repeat >= 20 and args.forecast_repeat >= 20):
        parser.error("--deals 1,000 to 5,000,000 and at least twice --board-open; "
                     "--repeat and --forecast-repeat at least 20")

    return run_on_targets(args, run, [
        f"deals benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"{args.deals:,} deals over {TEMPLATES} templates, {args.board_open:,} open in "
        f"the measured one; {args.repeat} board calls, {args.forecast_repeat} forecast "
        f"calls per measure",
    ])


if __name__ == "__main__":
    sys.exit(main())
