"""finance's rules as plain functions over a Session: ledger, invoices, payments (and refunds),
cards, close, commission, kpi_days, reports."""
