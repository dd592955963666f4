"""crm's rules as plain functions over a Session, one module per rule:
customers (and privacy, merge), history (the projection of other services' facts),
followups (and complaints), reminders, membership, campaigns, messages (the outbox), marketing (the quiet hours and
weekly allowance every marketing message keeps, campaign or reminder)."""
from .customers import (add_vehicle, audit, audit_log, erase_customer, get_customer, get_vehicle,  # noqa: F401
                        merge_customers, referral_count, register_customer, search_customers, search_vehicles,
                        update_customer, update_vehicle, vehicles_for_records)
from .history import customer_history, record_visit, vehicle_history  # noqa: F401
