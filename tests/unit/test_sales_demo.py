"""The demo catalogue of `make run` is consistent: every request it makes passes sales'
schemas, packages name real operations, and parts are inventory's demo SKUs."""
from __future__ import annotations

from services.inventory import demo as inventory_demo
from services.sales import demo, schemas


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
        if path == "packages":
            for item in body["items"]:
                assert item["kind"] != "labour" or item["op_code"] in codes
                assert item["kind"] != "part" or {item["sku"], *item.get("sku_options", [])} <= skus
