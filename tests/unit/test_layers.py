"""Dependencies point inward (architecture.md): checked on the source, so a violation fails CI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "concord"


def runtime_imports(package: str) -> dict[str, set[str]]:
    """module file → modules it imports at run time (imports under ``if TYPE_CHECKING:`` excluded)."""
    found: dict[str, set[str]] = {}
    for path in (SRC / package).rglob("*.py"):
        tree = ast.parse(path.read_text())
        typing_only = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for node in ast.walk(block)
        }
        names: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(SRC))] = names
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        (
            "domain",
            ("concord.engine", "concord.storage", "concord.sandbox", "sqlalchemy", "fastapi", "httpx"),
        ),
        (
            "engine",
            (
                "concord.storage",
                "concord.sandbox",
                "concord.connectors",
                "concord.governance",
                "fastapi",
                "httpx",
            ),
        ),
        (
            "governance",
            (
                "concord.storage",
                "concord.sandbox",
                "concord.connectors",
                "concord.flows",
                "concord.bootstrap",
                "sqlalchemy",
                "fastapi",
                "httpx",
            ),
        ),
        ("sandbox", ("concord.engine", "concord.storage", "concord.flows", "concord.connectors")),
    ],
)
def test_inner_layers_do_not_import_outer_ones(package: str, forbidden: tuple[str, ...]) -> None:
    offenders = {
        module: sorted(name for name in names if name.startswith(forbidden))
        for module, names in runtime_imports(package).items()
    }
    assert {m: n for m, n in offenders.items() if n} == {}
