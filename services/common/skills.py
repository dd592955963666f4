"""The chain's one vocabulary of skills (工种): what a labour operation (sales' catalogue) asks of the
technician who does it, what a technician (workshop) holds, what a certificate qualifies for, and the
key of a labour rate in the price list. A technician's level (学徒 … 技师) is not a skill: it says how
experienced they are, never which work they may be dispatched to, so no level is ever a skill."""
from __future__ import annotations

from marshmallow import validate

ANY_SKILL = "general"
"""An operation any technician may do (the catalogue's default)."""
SKILLS = {
    ANY_SKILL: "通用", "maintenance": "保养", "brakes": "制动", "engine": "发动机", "transmission": "变速箱",
    "suspension": "底盘悬挂", "electrical": "电工", "diagnostics": "故障诊断", "air_conditioning": "空调",
    "tyres": "轮胎", "alignment": "四轮定位", "bodywork": "钣金", "paint": "喷漆", "detailing": "洗车美容",
    "glass": "玻璃", "ev_high_voltage": "新能源高压",
}
"""skill -> its name at the counter."""
LEVELS = ("apprentice", "junior", "intermediate", "senior", "master")
"""A technician's level, lowest first: 学徒, 初级工, 中级工, 高级工, 技师."""

SKILL = validate.OneOf(tuple(SKILLS), error="Not a skill of the chain's vocabulary: {input}. Skills: {choices}.")
"""A field holding one skill (an operation's, a technician's, a certificate's, a labour rate's key)."""
