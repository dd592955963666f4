"""The ledger check as a command: `python -m services.inventory.check [store_id]`.

Exit status 0 when every stock level equals the sum of its movements (quantity and value),
reserved equals the open reservations and batches add up; 1 with the problems otherwise."""
from __future__ import annotations

import json
import sys

from sqlalchemy.orm import Session

from services.common import config
from services.common.db import make_engine

from .domain.reports import check_ledger


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    engine = make_engine(config.database_url("inventory"))
    try:
        with Session(engine) as session:
            result = check_ledger(session, args[0] if args else None)
    finally:
        engine.dispose()
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
