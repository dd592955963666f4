"""A service is built from its own code, `services/common` and `services/contracts` alone: no
module of one service imports another service's (they exchange events and RPC answers whose
schemas live in `services/contracts`). The gateway, deployed apart, needs only those two as well;
and no modules import each other round a loop."""
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


# -- the gateway ------------------------------------------------------------------------------------

def gateway_imports_of_services(root: Path) -> dict[str, list[str]]:
    """service → `<file> imports <module>` for each module of a service (not `common`, not
    `contracts`) that a file of the gateway imports."""
    found: dict[str, list[str]] = {}
    for path in sorted((root / "gateway").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for module in sorted(imported_modules(root, path)):
            parts = module.split(".")
            if parts[0] == "services" and len(parts) > 1 and parts[1] not in SHARED:
                found.setdefault(parts[1], []).append(f"{path.relative_to(root)} imports {module}")
    return found


def test_the_gateway_walk_finds_a_services_schemas(tmp_path):
    (tmp_path / "gateway" / "resources").mkdir(parents=True)
    (tmp_path / "gateway" / "resources" / "x.py").write_text(
        "from services.contracts.rpc import sales\nfrom services.common import policy\n"
        "from services.workshop.schemas import JobOut\n")
    assert gateway_imports_of_services(tmp_path) == {
        "workshop": ["gateway/resources/x.py imports services.workshop.schemas",
                     "gateway/resources/x.py imports services.workshop.schemas.JobOut"]}


def test_the_gateway_depends_on_the_contracts_and_common_only():
    assert gateway_imports_of_services(ROOT) == {}


# -- no import cycles -------------------------------------------------------------------------------

def module_graph(root: Path) -> dict[str, set[str]]:
    """Every module of services/ → the modules of services/ it imports anywhere in the file (a
    function-level import counts: it only hides a cycle). `from package import module` is an edge to
    the module alone."""
    modules = {}
    for path in (root / "services").rglob("*.py"):
        if "migrations" not in path.parts:
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = package[:len(package) - node.level + 1] if node.level else []
                module = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:
                    edges.add(f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules else module)
        graph[name] = {edge for edge in edges if edge in modules and edge != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or round a loop (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while (member := stack.pop()) != node:
                group.append(member)
            if group:
                found.append(sorted([node, *group]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_search_finds_a_loop_through_a_function_level_import(tmp_path):
    domain = tmp_path / "services" / "workshop" / "domain"
    domain.mkdir(parents=True)
    (domain / "__init__.py").write_text("")
    (domain / "clock.py").write_text("from .work_orders import touch\n")
    (domain / "work_orders.py").write_text("def cancel():\n    from .clock import close\n")
    (domain / "qc.py").write_text("from . import clock, work_orders\n")
    assert cycles(module_graph(tmp_path)) == [["services.workshop.domain.clock",
                                               "services.workshop.domain.work_orders"]]


def test_no_modules_of_the_services_import_each_other_round_a_loop():
    assert cycles(module_graph(ROOT)) == []
