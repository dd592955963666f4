"""What an invoice keeps when its customer is erased (crm's `customer_erased`), and why. Finance never
copies a name, mobile, plate or VIN: an invoice names its customer and car by id only, so the settlement
statement prints them from crm's anonymised record. What it keeps is the accounting record."""

KEPT_AFTER_ERASURE = ("number", "store_id", "order_number", "customer_id", "vehicle_id", "status", "lines",
                      "labour_fen", "parts_fen", "fees_fen", "discount_fen", "tax_fen", "total_fen",
                      "payments", "refunded_fen", "issued_at", "business_date", "paid_at", "void_reason")
LEGAL_BASIS = "《会计档案管理办法》：发票、收付款凭证等会计凭证保管期限 30 年"

RETENTION = {"kept_after_erasure": list(KEPT_AFTER_ERASURE), "basis": LEGAL_BASIS}
"""Stated on every invoice the API returns (the fields a customer's erasure leaves as they are)."""
