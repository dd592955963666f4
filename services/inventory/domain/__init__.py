"""inventory's rules as plain functions over a Session: the catalogue, the movement ledger and
moving-average cost, reservations, purchasing, transfers, stocktakes and the reports."""
