"""Membership card liabilities (issue 29): per issuing store, what its open cards hold — stored value's paid
(principal) and bonus balances apart, packages' unredeemed value — beside the ledger's card liability accounts
(2205 + 2206). The bonus is never a liability (not paid for: a discount when spent), so the liability is the
principal plus the packages' value, and it equals the ledger's (the card-liabilities invariant)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import JournalLine, MemberCard
from .ledger import PACKAGES, STORED_VALUE

FIGURES = ("stored_value_cards", "paid_balance_fen", "bonus_balance_fen", "package_cards", "package_value_fen",
           "liability_fen", "ledger_fen", "difference_fen")


def card_liabilities(session: Session, store_ids: list[str] | None) -> dict:
    """{items: a row per issuing store (open cards or a ledger balance), total: their sum}; three grouped reads of
    indexes alone: the open cards by kind and store (a package card keeps its items' value summed: a package has
    one item at least), the card accounts' lines by store."""
    def scoped(query, column):
        return query if store_ids is None else query.where(column.in_(store_ids))

    open_card = [MemberCard.status == "active"]
    stored = scoped(select(MemberCard.store_id, func.count(), func.sum(MemberCard.paid_balance_fen),
                           func.sum(MemberCard.bonus_balance_fen))
                    .where(*open_card, MemberCard.kind == "stored_value").group_by(MemberCard.store_id),
                    MemberCard.store_id)
    packaged = scoped(select(MemberCard.store_id, func.count(), func.sum(MemberCard.package_value_fen))
                      .where(*open_card, MemberCard.kind == "package").group_by(MemberCard.store_id),
                      MemberCard.store_id)
    books = scoped(select(JournalLine.store_id, func.sum(JournalLine.credit_fen - JournalLine.debit_fen))
                   .where(JournalLine.account.in_((STORED_VALUE, PACKAGES))).group_by(JournalLine.store_id),
                   JournalLine.store_id)
    rows: dict[str, dict] = {}

    def at(store_id: str) -> dict:
        return rows.setdefault(store_id, {"store_id": store_id, **dict.fromkeys(FIGURES, 0)})
    for store_id, count, paid, bonus in session.execute(stored):
        at(store_id).update(stored_value_cards=count, paid_balance_fen=int(paid or 0),
                            bonus_balance_fen=int(bonus or 0))
    for store_id, count, value in session.execute(packaged):
        at(store_id).update(package_cards=count, package_value_fen=int(value or 0))
    for store_id, balance in session.execute(books):
        at(store_id)["ledger_fen"] = int(balance or 0)
    items = []
    for store_id in sorted(rows):
        row = rows[store_id]
        row["liability_fen"] = row["paid_balance_fen"] + row["package_value_fen"]
        row["difference_fen"] = row["liability_fen"] - row["ledger_fen"]
        if any(row[name] for name in FIGURES):
            items.append(row)
    total = {"store_id": None, **{name: sum(row[name] for row in items) for name in FIGURES}}
    return {"items": items, "total": total}
