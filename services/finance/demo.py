"""Demo finance for `make run` only (never production): the insurers the chain's accident repairs (事故车) are
claimed from, each serving every demo store, so the cashier's 保险理赔 and the claims screen have them to pick.
Everything goes through the gateway's public API, like the rest of deploy/demo.py.

deploy/demo.py calls `seed(api, url, store_ids)` after it has created the stores and users."""
from __future__ import annotations

import requests

# name, the claims adjuster (定损员), their phone
INSURERS = [("中国人保财险广州分公司", "黄定损", "020-83368888"), ("平安产险广东分公司", "林定损", "020-38883333"),
            ("太平洋产险广东分公司", "陈定损", "13902201234")]


def seed(api: requests.Session, url: str, store_ids: list[str]) -> None:
    """Idempotent enough for a demo: a chain that already has insurers is left alone."""
    if api.get(f"{url}/v1/insurers", params={"limit": 1}).json().get("items"):
        return
    for name, contact, phone in INSURERS:
        api.post(f"{url}/v1/insurers", json={"name": name, "contact_name": contact, "contact_phone": phone,
                                             "store_ids": store_ids}).raise_for_status()
