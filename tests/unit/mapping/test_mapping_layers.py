"""The mapping engine sits between the domain and the connectors: it never reaches out to storage, the
sandbox or a connector's client (hooks in connector folders are imported by name, when a file asks)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "concord"
FORBIDDEN = (
    "concord.storage",
    "concord.sandbox",
    "concord.connectors",
    "concord.flows",
    "httpx",
    "sqlalchemy",
)


def test_the_mapping_package_imports_no_outer_layer() -> None:
    offenders: dict[str, list[str]] = {}
    for path in (SRC / "mapping").rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        bad = sorted(name for name in names if name.startswith(FORBIDDEN))
        if bad:
            offenders[str(path.relative_to(SRC))] = bad
    assert offenders == {}
