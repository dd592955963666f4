"""The chain's standard labour operation codes: the codes of sales' catalogue that other services key
rules by (crm's default service intervals: a delivered order with one of these operations moves the
car's next due date). A chain may add operations of its own; these are the ones the suite knows."""
from __future__ import annotations

OIL_CHANGE = "OIL-CHG"
AIR_FILTER = "AIR-FLT"
CABIN_FILTER = "CABIN-FLT"
SPARK_PLUGS = "SPARK-4"
BRAKE_FLUID = "BRK-FLUID"
COOLANT = "COOLANT-CHG"
AC_SERVICE = "AC-SVC"
TYRE_ROTATION = "TYRE-ROT"
ALIGNMENT = "ALIGN-4W"
FRONT_BRAKE_PADS = "BRK-PAD-F"
INSPECTION = "INSP-50"
