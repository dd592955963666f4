"""The chain-sized seeding tool (tests/bench/chain_seed.py) at a tiny scale against real PostgreSQL:
every owner's database migrated to head takes the COPY, keys and foreign keys are rebuilt, the
seeded rows are found by the services' own RPC methods (issue 29's reports too), and the finance KPI day
book and the retention book recomputed after the load equal the invoices they sum. Keeps the benchmark's seeder
in step with the schema."""
from __future__ import annotations

import uuid
from datetime import date

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from services.common.context import Caller
from services.crm.service import CrmService
from services.finance.service import FinanceService
from services.sales.service import SalesService
from services.workshop.service import WorkshopService
from tests.bench.chain_seed import (ADVISORS_PER_STORE, COMPARED_ITEMS, TABLES, TECHNICIANS_PER_STORE, Size, drop,
                                    mobile, plate, seed, store_id)
from tests.support.service import RecordingRelay

HQ = Caller(user_id="seed-test-hq", role="hq_admin")


@pytest.fixture(scope="module")
def chain():
    prefix, size = f"test_chain_{uuid.uuid4().hex[:8]}", Size(0.0004, date(2026, 11, 1))  # 1 store, 2,000 invoices
    urls = seed(prefix, size)
    engines = {owner: create_engine(url) for owner, url in urls.items()}
    yield size, engines
    for engine in engines.values():
        engine.dispose()
    drop(urls)


def call(engine, service, method: str, *args):
    session = sessionmaker(bind=engine)()
    session.info.update({"relay": RecordingRelay(), "outbox": [], "context": HQ.to_context()})
    try:
        return getattr(worker_factory(service, db=session, caller=HQ), method)(*args)
    finally:
        session.close()


def test_every_table_holds_the_rows_of_its_size(chain):
    size, engines = chain
    for table in TABLES:
        with engines[table.owner].connect() as conn:
            assert conn.scalar(text(f"SELECT count(*) FROM {table.name}")) == table.count(size), table.name


def test_a_seeded_customer_is_found_by_phone_and_by_plate_through_crm(chain):
    size, engines = chain
    [by_phone] = call(engines["crm"], CrmService, "list_customers", {"phone": mobile(7)})["items"]
    [by_plate] = call(engines["crm"], CrmService, "list_customers", {"plate": plate(7)})["items"]
    assert by_phone["mobile"] == mobile(7) and by_plate["id"]


def test_the_day_book_after_the_load_sums_the_invoices(chain):
    _, engines = chain
    with engines["finance"].connect() as conn:
        cars, sales = conn.execute(text("SELECT count(*), sum(labour_fen + parts_fen + fees_fen) FROM invoices "
                                        "WHERE status <> 'void'")).one()
        first, last = conn.execute(text("SELECT min(business_date), max(business_date) FROM invoices")).one()
    report = call(engines["finance"], FinanceService, "kpis", {"from": first.isoformat(), "to": last.isoformat()})
    assert cars > 0
    assert sum(item["car_count"] for item in report["items"]) == cars
    assert sum(item["sales_fen"] for item in report["items"]) == sales


def test_the_retention_book_after_the_load_equals_the_invoices_read(chain):
    """The chain's cohorts (from the book the seeder recomputes) and its one store's (read from the invoices)."""
    _, engines = chain
    months = {"from": "2024-11", "to": "2026-10"}
    book = call(engines["finance"], FinanceService, "retention", months)["items"]
    assert sum(row["new_customers"] for row in book) > 0
    assert book == call(engines["finance"], FinanceService, "retention", {**months, "store_id": store_id(0)})["items"]


def test_issue_29_reports_find_their_seeded_rows(chain):
    """The people report's technicians and commission, customer sources, campaign sends and card liabilities."""
    _, engines = chain
    september = {"from": "2026-09-01", "to": "2026-09-30", "store_id": store_id(0)}
    cards = call(engines["workshop"], WorkshopService, "technician_scorecards", september)["technicians"]
    assert len(cards) == TECHNICIANS_PER_STORE and all(card["jobs"] > 0 for card in cards)
    people = call(engines["finance"], FinanceService, "people_figures", september)["items"]
    assert {item["role"] for item in people} == {"technician", "advisor"}
    assert all(item["target_fen"] for item in people if item["role"] == "technician")
    sources = call(engines["crm"], CrmService, "new_customers_by_source", september)["items"]
    assert all(group["customer_ids"] for group in sources)
    campaigns = call(engines["crm"], CrmService, "campaign_sends", september)["items"]
    assert {campaign["store_id"] for campaign in campaigns} == {store_id(0), None}
    assert all(campaign["sends"] or campaign["skipped"] for campaign in campaigns)
    liabilities = call(engines["finance"], FinanceService, "card_liabilities", {})["total"]
    assert liabilities["stored_value_cards"] and liabilities["package_cards"] and liabilities["ledger_fen"]


def test_the_sales_reports_find_their_seeded_rows(chain):
    """The people report's advisor part (quotes presented and won, the advisors of crm's rated orders) and the
    market report (competitors' prices beside the store's own)."""
    _, engines = chain
    september = {"from": "2026-09-01", "to": "2026-09-30", "store_id": store_id(0)}
    orders = sorted({rating["order_id"] for rating in call(engines["crm"], CrmService, "order_ratings", september)[
        "follow_ups"] if rating["order_id"]})
    sales = call(engines["sales"], SalesService, "advisor_scorecards", {**september, "order_ids": orders})
    assert len(sales["advisors"]) == ADVISORS_PER_STORE
    assert all(0 < card["approved"] < card["presented"] for card in sales["advisors"])
    assert orders and set(sales["order_advisors"]) == set(orders) and all(sales["order_advisors"].values())
    market = call(engines["sales"], SalesService, "price_comparison", {"store_id": store_id(0), "on": "2026-09-30"})
    assert len(market["items"]) == COMPARED_ITEMS
    assert all(len(item["competitors"]) == 3 for item in market["items"])
    assert all(item["own_price_fen"] for item in market["items"] if item["kind"] != "part")
