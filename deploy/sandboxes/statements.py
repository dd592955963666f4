"""What the payment sandboxes' daily statements (对账单) are built from: the lines of the orders and refunds
a sandbox really recorded on a Beijing day, as plain dicts each sandbox writes in its provider's file
format, and the test-only changes to them (`POST /sandbox/statement`): a line added that the merchant never
heard of, or a recorded line dropped, so that a test can make the provider and the merchant disagree."""
from __future__ import annotations

import secrets
import threading

FEE_PER_MILLE = 6
"""The sandboxes' fee rate (0.6%, the usual rate of both providers for a shop), rounded half up to a fen."""


def fee(amount_fen: int) -> int:
    return (amount_fen * FEE_PER_MILLE + 500) // 1000


def line(kind: str, when: str, out_trade_no: str, transaction_id: str, amount_fen: int, description: str = "",
         out_refund_no: str = "", refund_id: str = "") -> dict:
    """A statement line: kind payment (amount collected) or refund (amount refunded); `when` Beijing time
    `YYYY-MM-DD HH:MM:SS`."""
    return {"kind": kind, "time": when, "out_trade_no": out_trade_no, "transaction_id": transaction_id,
            "amount_fen": amount_fen, "fee_fen": fee(amount_fen) * (1 if kind == "payment" else -1),
            "description": description, "out_refund_no": out_refund_no, "refund_id": refund_id}


class StatementChanges:
    """Per Beijing date (`YYYY-MM-DD`): lines added and `out_trade_no`s whose payment line is dropped."""

    def __init__(self, transaction_prefix: str):
        self.prefix = transaction_prefix
        self.added: dict[str, list[dict]] = {}
        self.dropped: dict[str, set[str]] = {}
        self.lock = threading.Lock()

    def change(self, data: dict) -> dict:
        """`{date, add?: {out_trade_no, amount_fen, description?, account?}, drop?: out_trade_no}` (`account`: the
        merchant account whose statement lists the added line, else the sandbox's main one); answers the
        changes of that date."""
        day = data["date"]
        with self.lock:
            if data.get("add"):
                add = data["add"]
                amount = int(add["amount_fen"])
                if amount <= 0:
                    raise ValueError("amount_fen")
                number = self.prefix + str(secrets.randbelow(10 ** 20)).zfill(20)
                self.added.setdefault(day, []).append({**line(
                    "payment", f"{day} {add.get('time', '12:00:00')}", str(add["out_trade_no"]), number, amount,
                    add.get("description", "沙箱补录")), "account": add.get("account")})
            if data.get("drop"):
                self.dropped.setdefault(day, set()).add(str(data["drop"]))
            return {"date": day, "added": self.added.get(day, []), "dropped": sorted(self.dropped.get(day, ()))}

    def apply(self, day: str, lines: list[dict]) -> list[dict]:
        """The day's recorded lines without the dropped payments, with the added ones, in time order."""
        with self.lock:
            dropped, added = self.dropped.get(day, set()), list(self.added.get(day, []))
        kept = [found for found in lines if not (found["kind"] == "payment" and found["out_trade_no"] in dropped)]
        return sorted(kept + added, key=lambda found: found["time"])
