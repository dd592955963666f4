"""Sales: the front counter of every store (appointments, reception, test drives, quotes,
negotiation with approval, the customer's decision per line, contracts and orders) and the
service catalogue quotes draw on (labour operations, packages, price lists, vehicle classes).

- `service.py`   thin nameko entrypoints; crm is asked once per customer and vehicle, inventory
                 once per request for every SKU (`quote_parts` to quote, `catalogue_parts` to
                 create a package), both with a timeout.
- `domain/`      the rules: `pricing` (pure; THE rounding rule is in its docstring), `quotes`,
                 `orders`, `reception`, `appointments`, `catalogue`, `settings`.
- the contract the gateway validates with and documents (OpenAPI) is `services/contracts/rpc/sales/`.
- `events.py`    publishes visit_checked_in, order_confirmed, order_cancelled; follows
                 workshop.work_order_completed / vehicle_delivered and finance.invoice_paid.
- `demo.py`      the demo catalogue for `make run`.
"""
