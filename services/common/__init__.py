"""Machinery shared by every service: config, database unit of work, outbox, idempotent
handlers, domain errors, money, validators, logging and the process runner."""
