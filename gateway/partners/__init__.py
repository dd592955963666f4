"""The partner API: machine clients' API keys, their rate limits, webhook subscriptions and deliveries.

Owned by the gateway's identity (docs ARCHITECTURE.md, round 2): a key is a credential like a staff
password and is checked on every request before any service is called, so it lives beside users and
stores in the gateway's database, and revoking one takes effect at the next request on every worker
(each request reads the key's row). Webhook subscriptions name stores and event types the gateway
authorises the same way; the deliverer that reads events from the bus is its own process
(`gateway.partners.deliverer`), scaled apart from the gateway and the services, so a slow receiver
never slows a service.
"""
