"""The authority matrix: which system is the system of record for each field of each canonical object.

Rules name systems by kind (crm, psa, erp); the matrix's ``systems`` section says which configured systems
are of each kind, so a firm that runs HubSpot instead of Salesforce changes one line. Each object has a
default owner and rules per field. A field owned by several kinds is two-way (the latest change at its
source wins). A rule may hold only in part of a record's lifecycle (the CRM owns an opportunity's amount
until the deal is contracted, the ERP after), judged by a canonical field such as the opportunity's stage.

The file format is documented in the shipped ``authority.yaml``; loading it is ``matrix_file``'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from concord.governance.matrix_file import read_matrix
from concord.governance.rules import Lifecycle, ObjectAuthority, Rule
from concord.settings import SHIPPED_AUTHORITY, ConfigError

__all__ = [
    "DEFAULT_AUTHORITY",
    "AuthorityMatrix",
    "Lifecycle",
    "ObjectAuthority",
    "Rule",
    "load_authority",
    "parse_authority",
]

#: The matrix Concord ships with: domain.md §1 for Salesforce, Kantata OX and NetSuite.
DEFAULT_AUTHORITY = SHIPPED_AUTHORITY


class AuthorityMatrix:
    """Who owns what; a pure lookup, loaded once at start-up."""

    def __init__(self, systems: Mapping[str, frozenset[str]], objects: Mapping[str, ObjectAuthority]) -> None:
        self.systems = dict(systems)
        self.objects = dict(objects)
        # The answer depends on the object, the field and the stage only, and every field of every change
        # asks: each is worked out once.
        self._owners: dict[tuple[str, str, int], frozenset[str]] = {}

    def governs(self, object_type: str) -> bool:
        """Whether the matrix has rules for ``object_type`` (others pass ungoverned)."""
        return object_type in self.objects

    def owners(self, object_type: str, field: str, record: Mapping[str, Any] | None = None) -> frozenset[str]:
        """The systems (configured names) that own ``field`` of a record in the stage ``record`` is in."""
        rules = self._object(object_type)
        stage = rules.lifecycle.stage_of(record or {}) if rules.lifecycle else 0
        key = (object_type, field, stage)
        found = self._owners.get(key)
        if found is None:
            found = self._owners[key] = self._owners_in(rules, field, stage)
        return found

    def _owners_in(self, rules: ObjectAuthority, field: str, stage: int) -> frozenset[str]:
        for rule in rules.fields.get(field, rules.default):
            if rule.holds(stage):
                return frozenset(name for kind in rule.kinds for name in self.systems.get(kind, ()))
        return frozenset()  # loading refuses rules that leave a stage without an owner

    def two_way(self, object_type: str, field: str, record: Mapping[str, Any] | None = None) -> bool:
        """Whether more than one system owns the field (then the latest change wins)."""
        return len(self.owners(object_type, field, record)) > 1

    def _object(self, object_type: str) -> ObjectAuthority:
        try:
            return self.objects[object_type]
        except KeyError:
            raise LookupError(f"the authority matrix has no rules for {object_type!r}") from None


def load_authority(path: Path | None = None) -> AuthorityMatrix:
    """The matrix in ``path`` (the shipped one when None); a bad file raises ``ConfigError``."""
    path = path or DEFAULT_AUTHORITY
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"{path}: cannot read the authority matrix ({error.strerror or error}); "
            "point `authority` in the configuration at an existing file, "
            "or leave it out to use the shipped one"
        ) from error
    return parse_authority(text, str(path))


def parse_authority(text: str, source: str = "<authority matrix>") -> AuthorityMatrix:
    """The matrix in YAML ``text``; errors name ``source`` and the line."""
    systems, objects = read_matrix(text, source)
    return AuthorityMatrix(systems, objects)
