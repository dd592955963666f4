"""The audit trail of money and stock writes, listed per document. One endpoint for every audited
document type: the type names the service that keeps the trail (`services/common/audit.py`), which
also decides the store scope (a store manager sees the documents of their own stores)."""
from __future__ import annotations

from services.common.audit import DOCUMENT_OWNERS, AuditTrailEntryOut, AuditTrailQuery
from services.common.policy import MANAGERS

from ..api import endpoint
from . import Resource


class AuditTrail(Resource):
    @endpoint("Who changed money or stock on one document, when, how and in which request (newest first): "
              "document_type invoice, deposit, member_card, expense, daily_close (id `<store_id>:<date>`), "
              "settlement (finance); purchase_order, transfer, stocktake, stock_adjustment, order_parts "
              "(a sales order's reserved and issued parts; inventory); quote (sales); work_order (workshop: a car "
              "released with an open balance)",
              tag="audit", roles=MANAGERS, query=AuditTrailQuery, response=AuditTrailEntryOut, paginated=True)
    def on_get(self, req, resp):
        owner = DOCUMENT_OWNERS[req.context.query["document_type"]]
        return self.call(req, owner, "list_audit", query=req.context.query_json)


def routes(deps) -> list[tuple[str, object]]:
    return [("/v1/audit-trail", AuditTrail(deps))]
