"""The entrypoint owns the unit of work: a module under `services/*/domain/` is plain rules and never
ends a transaction itself (no `.commit()`, no `.rollback()`). Where a network call needs the
transaction ended first (a provider, the SMS gateway, another service), the domain offers steps
(claim, call, record) and the entrypoint in `service.py` commits between them. A savepoint
(`with session.begin_nested() as attempt:` ... `attempt.rollback()`) undoes only its own work and
is allowed."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENDS = {"commit", "rollback"}
EXCEPTIONS = {
    # The CSV importer (CLI: services/crm/importer.py) is a batch job, not an entrypoint's unit of work:
    # it commits each batch so a large file is not one transaction, and replays a batch row by row
    # after a rollback when it collides with concurrent registrations.
    "services/crm/domain/imports.py",
}


def savepoints(tree: ast.AST) -> set[str]:
    """Names bound by `with <x>.begin_nested() as name:` (a savepoint may be rolled back)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                call = item.context_expr
                if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                        and call.func.attr == "begin_nested" and isinstance(item.optional_vars, ast.Name)):
                    names.add(item.optional_vars.id)
    return names


def transaction_ends(source: str) -> list[str]:
    """`<line>: <expr>.commit()` (or rollback) for each call ending a transaction, savepoints aside."""
    tree = ast.parse(source)
    allowed = savepoints(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ENDS:
            target = node.func.value
            if isinstance(target, ast.Name) and target.id in allowed:
                continue
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return sorted(found, key=lambda line: int(line.split(":")[0]))


def domain_transaction_ends(root: Path) -> list[str]:
    return [f"{path.relative_to(root)}:{found}"
            for path in sorted((root / "services").glob("*/domain/**/*.py"))
            if path.relative_to(root).as_posix() not in EXCEPTIONS
            for found in transaction_ends(path.read_text(encoding="utf-8"))]


def test_the_walk_finds_commits_and_rollbacks_but_not_a_savepoints_rollback():
    source = ("def f(session, self):\n"
              "    session.commit()\n"
              "    with session.begin_nested() as attempt:\n"
              "        attempt.rollback()\n"
              "    self.session.rollback()\n"
              "    session.begin_nested().rollback()\n")
    assert transaction_ends(source) == ["2: session.commit()", "5: self.session.rollback()",
                                        "6: session.begin_nested().rollback()"]


def test_the_walk_covers_every_service_and_the_exceptions_exist():
    assert len(list((ROOT / "services").glob("*/domain/**/*.py"))) > 10
    assert all((ROOT / path).exists() for path in EXCEPTIONS)


def test_no_domain_module_ends_a_transaction():
    assert domain_transaction_ends(ROOT) == []
