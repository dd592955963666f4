"""Login, the current user, stores and users (the gateway's own data)."""
from __future__ import annotations

import logging
import time

import falcon

from services.common.policy import (ALL_ROLES, HQ, HOME_SCREEN, MANAGERS, console_screens, grantable_roles, manages,
                                    sees_every_store)
from services.common.schemas import dump_page

from .. import identity
from ..api import endpoint
from ..auth import Principal
from ..schemas import (LoginRequest, LoginResponse, MeOut, StoreCreate, StoreListQuery, StoreOut, StorePatch,
                       UserCreate, UserListQuery, UserOut, UserPatch)
from . import Resource, report_subscriptions

log = logging.getLogger(__name__)

user_out, store_out = UserOut(), StoreOut()


class Login(Resource):
    @endpoint("Exchange a username and password for a bearer token", tag="identity", roles=None,
              body=LoginRequest, response=LoginResponse, errors=(401, 429))
    def on_post(self, req, resp):
        data, client_ip = req.context.body, req.context.client_ip
        with self.deps.identity_db() as session, session.begin():
            if identity.login_throttled(session, data["username"]):
                raise falcon.HTTPTooManyRequests(
                    title="rate_limited", description="Too many failed logins; try again in 15 minutes.",
                    retry_after=int(identity.LOGIN_WINDOW.total_seconds()))
            user = identity.authenticate(session, data["username"], data["password"])
            identity.record_login(session, data["username"], client_ip, succeeded=user is not None)
            answer = user and {"access_token": self.deps.auth.tokens.issue(user), "token_type": "bearer",
                               "expires_in": self.deps.auth.tokens.ttl, "user": user_out.dump(user)}
            hold = 0.0 if answer else identity.slow_down_seconds(session, client_ip)
        if answer is None:  # the failure is recorded (committed) before refusing
            log.info("login refused", extra={"slowed_down": hold > 0})
            if hold:
                time.sleep(hold)
            raise falcon.HTTPUnauthorized(title="unauthorized", description="Wrong username or password.")
        return answer


class Me(Resource):
    @endpoint("The user behind the token, with the console screens their role opens", tag="identity",
              response=MeOut)
    def on_get(self, req, resp):
        with self.deps.identity_db() as session:
            user = identity.get_user(session, req.context.principal, req.context.principal.id)
            principal = req.context.principal
            return {**user_out.dump(user), "screens": console_screens(user.role), "home": HOME_SCREEN[user.role],
                    "manages": manages(principal), "sees_every_store": sees_every_store(principal),
                    "grantable_roles": grantable_roles(principal)}


class Stores(Resource):
    @endpoint("Open a store (HQ)", tag="identity", roles=HQ, body=StoreCreate, response=StoreOut, status=201,
              idempotent=True)
    def on_post(self, req, resp):
        with self.deps.identity_db() as session, session.begin():
            store = store_out.dump(identity.create_store(session, req.context.body))
        # finance and crm keep the code: it names the store's own provider accounts (payments; messages)
        for service in ("finance", "crm"):
            try:
                self.call(req, service, "register_store", store_id=store["id"], store_code=store["code"])
            except Exception:
                log.warning("%s did not take store %s's code; its own accounts' files named by its id still are "
                            "(finance: its provider accounts screen passes the code again)", service, store["id"],
                            exc_info=True)
        return store

    @endpoint("Stores the user works in (all, for HQ)", tag="identity", query=StoreListQuery,
              response=StoreOut, paginated=True)
    def on_get(self, req, resp):
        with self.deps.identity_db() as session:
            return dump_page(identity.list_stores(session, req.context.principal, req.context.query), store_out)


class StoreItem(Resource):
    @endpoint("Change a store's details (name, address, phone: the header of its printed documents)",
              tag="identity", roles=MANAGERS, body=StorePatch, response=StoreOut)
    def on_patch(self, req, resp, store_id: str):
        with self.deps.identity_db() as session, session.begin():
            return store_out.dump(identity.update_store(session, req.context.principal, store_id,
                                                        req.context.body))


class Users(Resource):
    @endpoint("Create a staff account", tag="identity", roles=MANAGERS, body=UserCreate, response=UserOut,
              status=201, idempotent=True)
    def on_post(self, req, resp):
        with self.deps.identity_db() as session, session.begin():
            return user_out.dump(identity.create_user(session, req.context.principal, req.context.body))

    @endpoint("Staff accounts of the user's stores", tag="identity", roles=MANAGERS, query=UserListQuery,
              response=UserOut, paginated=True)
    def on_get(self, req, resp):
        with self.deps.identity_db() as session:
            return dump_page(identity.list_users(session, req.context.principal, req.context.query), user_out)


class UserItem(Resource):
    @endpoint("Change a staff account (role, stores, password, disable)", tag="identity", roles=ALL_ROLES,
              body=UserPatch, response=UserOut)
    def on_patch(self, req, resp, user_id: str):
        principal: Principal = req.context.principal
        changes = req.context.body
        with self.deps.identity_db() as session, session.begin():
            before = _reported(identity.get_user(session, principal, user_id))
            user = identity.update_user(session, principal, user_id, changes)
            after = _reported(user)
        if after != before:
            report_subscriptions.recipient_changed(self, req, user)
        return user_out.dump(user)


def _reported(user) -> tuple:
    """What a user's report subscriptions follow (report_subscriptions.py)."""
    return user.mobile, user.active, user.role, tuple(user.store_ids)


def routes(deps) -> list[tuple[str, object]]:
    return [
        ("/v1/auth/login", Login(deps)),
        ("/v1/me", Me(deps)),
        ("/v1/stores", Stores(deps)),
        ("/v1/stores/{store_id}", StoreItem(deps)),
        ("/v1/users", Users(deps)),
        ("/v1/users/{user_id}", UserItem(deps)),
    ]
