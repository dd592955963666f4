"""Every environment variable the code reads is in the README's environment list."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READ = re.compile(r"""(?:os\.environ\.get|os\.getenv|os\.environ\.setdefault|env_int|env_float)\(\s*(f?)(["'])(.+?)\2"""
                  r"""|os\.environ\[\s*(f?)(["'])(.+?)\5\s*\]""")


def variables_read() -> set[str]:
    """Names read in services/, gateway/ and deploy/; an f-string's `{…}` part becomes `<…>`."""
    names = set()
    for path in [p for folder in ("services", "gateway", "deploy") for p in (ROOT / folder).rglob("*.py")]:
        for match in READ.finditer(path.read_text()):
            name = match.group(3) or match.group(6)
            names.add(re.sub(r"\{[^}]*\}", "<>", name) if (match.group(1) or match.group(4)) else name)
    return names


def documented() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("### Environment")
    return readme[start:readme.index("\n## ", start)]


def test_every_variable_the_code_reads_is_in_the_readmes_environment_list():
    names = variables_read()
    assert {"TOKEN_TTL_SECONDS", "MAX_BODY_BYTES", "GATEWAY_HOST", "AMQP_HEARTBEAT", "LIB_LOG_LEVEL",
            "GATEWAY_MAX_REQUESTS", "<>_DATABASE_URL", "CRM_RATE_LIMIT_<>"} <= names  # the scan finds them
    section = documented()
    missing = [name for name in sorted(names)
               if not re.search("`" + re.escape(name).replace("<>", "<[A-Z]+>") + "`", section)]
    assert missing == []


def test_no_fault_injection_switch_is_read_by_production_code():
    assert "OUTBOX_PUBLISH_COPIES" not in variables_read()
