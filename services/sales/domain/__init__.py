"""sales's rules as plain functions over a Session, one module per rule:
`pricing` (pure arithmetic), `settings`, `catalogue`, `reception` (visits, test drives,
declined work), `appointments`, `quotes`, `orders`."""
