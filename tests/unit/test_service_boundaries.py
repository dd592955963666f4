"""A service is built from its own code, `services/common` and `services/contracts` alone: no
module of one service imports another service's (they exchange events and RPC answers whose
schemas live in `services/contracts`)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = {"common", "contracts"}


def packages(root: Path) -> list[str]:
    return sorted(path.name for path in (root / "services").iterdir() if (path / "__init__.py").exists())


def imported_modules(root: Path, path: Path) -> set[str]:
    """Absolute names of what a file imports (relative imports resolved; `from a import b` gives a and a.b)."""
    package = path.relative_to(root).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = list(package[:len(package) - node.level + 1]) if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return found


def foreign_imports(root: Path, package: str) -> list[str]:
    """`<file> imports <module>` for each module of another service that a file of `package` imports
    (`common` and `contracts` may import each other, never a service)."""
    allowed = SHARED | {package}
    others = set(packages(root)) - allowed
    return [f"{path.relative_to(root)} imports {module}"
            for path in sorted((root / "services" / package).rglob("*.py"))
            for module in sorted(imported_modules(root, path))
            if module.split(".")[0] == "services" and module.split(".")[1:2] and module.split(".")[1] in others]


def test_the_walk_finds_absolute_and_relative_imports_of_another_service(tmp_path):
    for package in ("crm", "sales", "common"):
        (tmp_path / "services" / package / "domain").mkdir(parents=True)
        (tmp_path / "services" / package / "__init__.py").write_text("")
    (tmp_path / "services" / "crm" / "domain" / "x.py").write_text(
        "from ..models import Customer\nfrom services.common import db\nfrom ...sales import events\n"
        "import services.sales.models\n")
    assert foreign_imports(tmp_path, "crm") == ["services/crm/domain/x.py imports services.sales",
                                                "services/crm/domain/x.py imports services.sales.events",
                                                "services/crm/domain/x.py imports services.sales.models"]
    assert foreign_imports(tmp_path, "sales") == []


@pytest.mark.parametrize("package", packages(ROOT))
def test_no_service_imports_another(package):
    assert foreign_imports(ROOT, package) == []
