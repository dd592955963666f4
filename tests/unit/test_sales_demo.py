"""The demo catalogue of `make run` is consistent: every request it makes passes sales'
schemas, packages name real operations, and parts are inventory's demo SKUs."""
from __future__ import annotations

from services.inventory import demo as inventory_demo
from services.contracts.rpc import sales as schemas
from services.sales import demo


class FakeApi:
    def __init__(self):
        self.sent = []

    def get(self, url, **_):
        return Reply(404)

    def post(self, url, json):
        self.sent.append((url.split("/v1/")[1], json))
        return Reply(201)

    def put(self, url, json):
        self.sent.append((url.split("/v1/")[1], json))
        return Reply(200)


class Reply:
    def __init__(self, status_code):
        self.status_code = status_code

    def raise_for_status(self):
        pass


def test_the_demo_catalogue_is_valid_and_consistent():
    api = FakeApi()
    demo.seed(api, "http://x", ["s1"])
    by_path = {"labour-operations": schemas.LabourOperationCreate, "vehicle-classes": schemas.VehicleClassRuleIn,
               "price-lists": schemas.PriceEntryCreate, "packages": schemas.PackageCreate}
    for path, body in api.sent:
        assert not by_path[path]().validate(body), (path, body)
    codes = {body["code"] for path, body in api.sent if path == "labour-operations"}
    skus = {part[0] for part in inventory_demo.PARTS}
    for path, body in api.sent:
        if path == "labour-operations":
            assert {part["sku"] for part in body["parts"]} <= skus
        if path == "packages":
            for item in body["items"]:
                assert item["kind"] != "labour" or item["op_code"] in codes
                assert item["kind"] != "part" or {item["sku"], *item.get("sku_options", [])} <= skus


def test_skills_and_levels_are_one_vocabulary_and_a_level_is_never_a_skill():
    from marshmallow import ValidationError

    from services.common.skills import LEVELS, SKILL, SKILLS
    from services.contracts.rpc import workshop as workshop_schemas
    assert not set(LEVELS) & set(SKILLS)
    for level in LEVELS:
        with_level = {"code": "X-1", "name": "x", "category": "repair", "standard_hours": 1, "skill": level}
        assert "skill" in schemas.LabourOperationCreate().validate(with_level)
        assert "skills" in workshop_schemas.TechnicianCreate().validate({
            "store_id": "s1", "name": "x", "level": "junior", "hourly_cost_fen": 1, "skills": [level]})
        assert "key" in schemas.PriceEntryCreate().validate({
            "kind": "labour_rate", "key": level, "price_fen": 1, "effective_from": "2026-01-01"})
        try:
            SKILL(level)
            raise AssertionError(f"{level} passed as a skill")
        except ValidationError:
            pass


def test_the_demo_login_technician_holds_every_skill_the_demo_catalogue_asks_for():
    """The store's `technician.<store>` login clocks as the first of the demo crew: every demo
    operation must be dispatchable to them, or the demo flow stops at dispatch."""
    from services.common.skills import ANY_SKILL, SKILLS
    from services.workshop import demo as workshop_demo
    required = {operation[6] for operation in demo.OPERATIONS}
    assert required <= set(SKILLS)
    linked_skills = set(workshop_demo.CREW[0][3])
    assert required - {ANY_SKILL} <= linked_skills
    for _name, _level, _cost, skills, _shifts, certificate in workshop_demo.CREW:
        assert set(skills) <= set(SKILLS) and (certificate is None or certificate[1] in SKILLS)
    assert {rate[0] for rate in demo.LABOUR_RATES} <= required


def test_crm_service_intervals_are_keyed_by_the_catalogues_operation_codes():
    """A delivered demo maintenance job moves a due date: crm's default intervals name operation
    codes of the catalogue, and every demo maintenance operation has one."""
    from services.crm.domain.reminders import DEFAULT_INTERVALS
    codes = {operation[0] for operation in demo.OPERATIONS}
    maintenance = {operation[0] for operation in demo.OPERATIONS if operation[3] == "maintenance"}
    assert set(DEFAULT_INTERVALS) <= codes
    assert maintenance <= set(DEFAULT_INTERVALS)
