"""Writing small mapping files for the tests: a header that loads, plus the rules under test."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from concord.mapping import MappingError, ObjectMapping, load_mappings

HEADERS = {
    "Account.Customer": """
        platform: salesforce
        object: Account
        canonical: Customer
        direction: both
        id_field: Id
        external_id_field: Concord_Id__c
        correlation_field: Concord_Correlation_Id__c
        stamp_field: SystemModstamp
    """,
    "Opportunity.Opportunity": """
        platform: salesforce
        object: Opportunity
        canonical: Opportunity
        direction: inbound
        id_field: Id
        stamp_field: SystemModstamp
    """,
    "workspaces.Project": """
        platform: kantata
        object: workspaces
        canonical: Project
        direction: both
        id_field: id
        stamp_field: updated_at
    """,
    "time_entries.TimeEntry": """
        platform: kantata
        object: time_entries
        canonical: TimeEntry
        direction: both
        id_field: id
        stamp_field: updated_at
    """,
}

FILLERS = {
    "time_entries.TimeEntry": {
        "project_id": "01HZY8P0Q2R4S6T8V0W2X4Y6ZA",
        "resource_id": "01HZY8R1S3T5V7W9X1Y3Z5A7BC",
        "work_date": "2026-03-02",
        "hours": "1",
        "billable": "false",
        "status": "draft",
    },
    "workspaces.Project": {
        "name": "Filler",
        "customer_id": "01HZY6M3C3X9W2Q8R5T7V4N6PA",
        "legal_entity_code": "US",
        "status": "active",
        "start_date": "2026-01-05",
        "currency": "USD",
    },
}
"""Constant rules for the required fields a test body leaves out, so it loads (they only fill inbound)."""

WriteMapping = Callable[..., Path]


def _fillers(name: str, body: str) -> str:
    rules = [
        f"  - {{canonical: {field}, default: {value}}}\n"
        for field, value in FILLERS.get(name, {}).items()
        if not re.search(rf"canonical:\s*{field}\b", body)
    ]
    return "".join(rules)


@pytest.fixture
def write_mapping(tmp_path: Path) -> WriteMapping:
    """Write ``<name>.yaml`` in a fresh folder: the header for ``name`` (unless ``header=False``), then
    ``body``, then constant rules for the required fields ``body`` leaves out."""

    def write(body: str, name: str = "Account.Customer", *, header: bool = True) -> Path:
        text = textwrap.dedent(HEADERS[name]).lstrip() if header else ""
        path = tmp_path / f"{name}.yaml"
        rules = textwrap.dedent(body).lstrip()
        path.write_text(text + rules + (_fillers(name, rules) if header and "fields:" in rules else ""))
        return path

    return write


@pytest.fixture
def mapping_of(write_mapping: WriteMapping) -> Callable[..., ObjectMapping]:
    """Load the one mapping a body makes."""

    def load(body: str, name: str = "Account.Customer") -> ObjectMapping:
        path = write_mapping(body, name)
        return next(iter(load_mappings([path.parent])))

    return load


@pytest.fixture
def errors_of(write_mapping: WriteMapping) -> Callable[..., list[str]]:
    """The problems loading a body reports, as ``<file name>:<line>: <message>`` strings."""

    def load(body: str, name: str = "Account.Customer", *, header: bool = True) -> list[str]:
        path = write_mapping(body, name, header=header)
        with pytest.raises(MappingError) as caught:
            load_mappings([path.parent])
        return [f"{p.path.name}:{p.line}: {p.message}" for p in caught.value.problems]

    return load
