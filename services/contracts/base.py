"""The base of every contract schema: a reader ignores the fields it does not know, at every level
(a newer producer may add some)."""
from marshmallow import EXCLUDE, Schema


class Contract(Schema):
    class Meta:
        unknown = EXCLUDE
