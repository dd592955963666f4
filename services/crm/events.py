"""Events crm publishes (through its outbox) and handles. Payloads are version 1.

Published:
- `crm.customer_registered`: customer_id, name, home_store_id, source, marketing_consent, tags
- `crm.vehicle_registered`: vehicle_id, customer_id, plate, vin, make, model, year, mileage_km

Handled:
- `sales.visit_checked_in` (visit_id, customer_id, vehicle_id, store_id, mileage_km, needs,
  checked_in_at): a history line; the vehicle's mileage grows to mileage_km.
"""
PUBLISHES = ("customer_registered", "vehicle_registered")
HANDLES = (("sales", "visit_checked_in"),)
