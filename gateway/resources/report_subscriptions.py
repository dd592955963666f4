"""Scheduled reports (issue 29): a manager subscribes to a store's daily or weekly summary (HQ: also the chain's),
texted to the mobile on their staff account; crm keeps the subscriptions and sends them (domain/reports.py)."""
from __future__ import annotations

import logging

from services.common.errors import Invalid
from services.common.policy import MANAGERS
from services.contracts.rpc.crm import ReportSubscriptionCreate, ReportSubscriptionOut

from .. import identity
from ..api import endpoint
from ..models import User
from . import Resource, checked

log = logging.getLogger(__name__)
TAG = "identity"


def recipient_changed(resource: Resource, req, user: User) -> None:
    """A staff account's mobile, role, stores or active flag changed: crm's subscriptions of it follow (they end
    where the account may no longer have them). After the gateway's commit; crm down: logged (no mobile)."""
    data = {"mobile": user.mobile, "active": user.active, "role": user.role, "store_ids": user.store_ids}
    try:
        resource.call(req, "crm", "report_recipient_changed", user_id=user.id, data=data)
    except Exception:
        log.warning("crm did not take user %s's change for their report subscriptions", user.id, exc_info=True)


class ReportSubscriptions(Resource):
    @endpoint("Subscribe to a store's daily or weekly summary texted to your mobile (HQ: `store_id` null for the "
              "chain's); 422 `mobile_required` without a mobile on your account, 409 when you already have it",
              tag=TAG, roles=MANAGERS, body=ReportSubscriptionCreate, response=ReportSubscriptionOut, status=201,
              errors=(409,))
    def on_post(self, req, resp):
        body = checked(req, "body_json")
        principal = req.context.principal
        with self.deps.identity_db() as session:
            mobile = identity.get_user(session, principal, principal.id).mobile
        if not mobile:
            raise Invalid("Set your mobile first.", fields={"mobile": ["Set your mobile first."]},
                          code="mobile_required")
        store = self.store(body["store_id"]) if body.get("store_id") else None
        return self.call(req, "crm", "subscribe_report", data={
            **req.context.body, "mobile": mobile, "scope_name": store.name if store else "全连锁"})

    @endpoint("Your report subscriptions with the last period each was sent for", tag=TAG, roles=MANAGERS,
              response=ReportSubscriptionOut, paginated=True)
    def on_get(self, req, resp):
        return self.call(req, "crm", "own_report_subscriptions")


class ReportSubscriptionItem(Resource):
    @endpoint("Unsubscribe (yours only: another's is 404)", tag=TAG, roles=MANAGERS, status=204)
    def on_delete(self, req, resp, subscription_id: str):
        self.call(req, "crm", "unsubscribe_report", subscription_id=subscription_id)


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/report-subscriptions", ReportSubscriptions(deps)),
        ("/v1/report-subscriptions/{subscription_id}", ReportSubscriptionItem(deps)),
    ]
