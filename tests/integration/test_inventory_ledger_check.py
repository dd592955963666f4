"""The ledger check as an operator runs it: `python -m services.inventory.check` against the
service's database, exit status 0 when levels equal movements, 1 (with the problem) when not."""
from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.db import make_engine
from services.common.migrate import upgrade
from services.common.schemas import load
from services.inventory.domain import catalogue, purchasing
from services.inventory.models import StockLevel
from services.contracts.rpc.inventory import PartCreate, SupplierCreate

ROOT = Path(__file__).resolve().parents[2]


def run_check(url: str) -> tuple[int, dict]:
    done = subprocess.run([sys.executable, "-m", "services.inventory.check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={"INVENTORY_DATABASE_URL": url, "PATH": "/usr/bin:/bin"})
    return done.returncode, json.loads(done.stdout)


def test_check_command_passes_on_a_consistent_ledger_and_fails_on_a_tampered_one(tmp_path):
    url = f"sqlite:///{tmp_path / 'inventory.db'}"
    upgrade("inventory", url)
    engine = make_engine(url)
    with Session(engine) as session:
        session.info.update({"service": "inventory", "context": {}, "outbox": []})
        part = catalogue.create_part(session, load(PartCreate(), {"sku": "CHK-1", "name": "雨刮片", "category": "wiper",
                                                                  "list_price_fen": 9900}))
        supplier = catalogue.create_supplier(session, load(SupplierCreate(), {"code": "CHK", "name": "供应商"}))
        po = purchasing.create_purchase_order(session, {"store_id": "s1", "supplier_id": supplier.id, "submit": True,
                                                        "lines": [{"sku": part.sku, "qty": Decimal(3),
                                                                   "unit_cost_fen": 3000}]}, None)
        purchasing.receive(session, po.id, {"lines": [{"sku": part.sku, "qty": Decimal(3)}]}, Caller())
        session.commit()
    status, report = run_check(url)
    assert status == 0 and report["ok"] and report["movements"] == 1

    with engine.begin() as conn:
        conn.execute(update(StockLevel).values(value_fen=1))
    engine.dispose()
    status, report = run_check(url)
    assert status == 1 and report["problems"][0]["problem"] == "stock value differs from the sum of movement values"
