"""workshop's rules as plain functions over a Session (no broker, no container), one module per rule:
`work_orders` (the state machine, opening from orders, cancellation, parts status, comebacks),
`technicians`, `dispatch` (splits and suggestions), `clock`, `inspections`, `qc`, `completion`
(complete and deliver) and `bays`."""
