"""Demo workshop for `make run` only (never production): per store a few bays and a crew of
technicians with skills, levels, costs, weekly shifts and a certification; the store's
`technician.<store>` account is linked to the first one so that login can clock in.
Everything goes through the gateway's public API, like the rest of deploy/demo.py.

deploy/demo.py can call `seed(api, url, store_ids)` after it has created the stores and users."""
from __future__ import annotations

import requests

BAYS = [("B1", "1 号举升机", "lift"), ("B2", "2 号举升机", "lift"), ("A1", "四轮定位工位", "alignment"),
        ("Q1", "快修工位", "quick_service"), ("W1", "洗美工位", "wash")]
WEEKDAYS = [{"weekday": d, "start": "08:30", "end": "18:00"} for d in range(6)]          # Mon–Sat
LATE = [{"weekday": d, "start": "12:00", "end": "21:00"} for d in (1, 2, 3, 4, 5, 6)]     # Tue–Sun
# name, level, hourly cost (fen: wage and on-costs, ¥30–60 an hour), skills (services/common/skills.py), shifts,
# certification (name, skill) or None.
# The first is linked to the store's `technician.<store>` login: a master who holds every skill the demo
# catalogue asks for (services/sales/demo.py), so that login can take and clock any demo job.
CREW = [
    ("李建国", "master", 6000, ["maintenance", "engine", "brakes", "alignment", "air_conditioning", "tyres",
                               "electrical", "diagnostics"], WEEKDAYS, ("汽车维修技师（一级）", "engine")),
    ("王小明", "intermediate", 3500, ["maintenance", "tyres", "alignment"], WEEKDAYS, None),
    ("赵磊", "senior", 4500, ["brakes", "maintenance", "air_conditioning"], LATE, ("制冷剂操作证", "air_conditioning")),
    ("周婷", "junior", 3000, ["detailing", "tyres"], LATE, None),
    ("吴刚", "senior", 5000, ["bodywork", "paint"], WEEKDAYS, ("汽车喷漆工（高级）", "paint")),
]


def _user_id(api: requests.Session, url: str, store_id: str, username_prefix: str) -> str | None:
    query: dict[str, str | int] = {"store_id": store_id, "role": "technician", "limit": 200}
    users = api.get(f"{url}/v1/users", params=query).json()
    return next((u["id"] for u in users.get("items", []) if u["username"].startswith(username_prefix)), None)


def seed(api: requests.Session, url: str, store_ids: list[str]) -> None:
    """Idempotent enough for a demo: a store that already has bays is left alone."""
    for store_id in store_ids:
        if api.get(f"{url}/v1/bays", params={"store_id": store_id}).json().get("items"):
            continue
        for code, name, kind in BAYS:
            api.post(f"{url}/v1/bays", json={"store_id": store_id, "code": code, "name": name,
                                             "kind": kind}).raise_for_status()
        linked = _user_id(api, url, store_id, "technician.")
        for index, (name, level, cost, skills, shifts, certificate) in enumerate(CREW):
            reply = api.post(f"{url}/v1/technicians", json={
                "store_id": store_id, "name": name, "level": level, "hourly_cost_fen": cost, "skills": skills,
                "shifts": shifts, "user_id": linked if index == 0 else None})
            reply.raise_for_status()
            if certificate:
                api.post(f"{url}/v1/technicians/{reply.json()['id']}/certifications", json={
                    "name": certificate[0], "skill": certificate[1], "issuer": "人力资源和社会保障部",
                    "issued_on": "2023-06-30"}).raise_for_status()
