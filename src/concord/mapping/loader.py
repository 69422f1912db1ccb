"""Finding and loading mapping files: every ``*.yaml`` in the mapping folders (examples files aside),
checked all at once, so one run reports every problem in every file.

The YAML itself is read by ``yamlfile``, which is hand-written so that each problem can name its file
and line; see that module for why.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Final

from concord.mapping.compiler import compile_mapping
from concord.mapping.errors import MappingError, Problem
from concord.mapping.runtime import ObjectMapping
from concord.mapping.yamlfile import read_yaml

__all__ = [
    "EXAMPLES_SUFFIX",
    "SHIPPED_PLATFORMS",
    "MappingSet",
    "default_directories",
    "load_mappings",
    "mapping_files",
]

SHIPPED_PLATFORMS: Final = ("salesforce", "kantata", "netsuite")
"""The platforms whose connectors ship mapping files (``concord/connectors/<platform>/mappings``)."""
EXAMPLES_SUFFIX: Final = ".examples.yaml"
"""A mapping's examples live beside it: ``Account.Customer.yaml`` → ``Account.Customer.examples.yaml``."""

_CONNECTORS = Path(__file__).resolve().parent.parent / "connectors"


def default_directories() -> list[Path]:
    """The mapping folders of the shipped connectors."""
    return [_CONNECTORS / platform / "mappings" for platform in SHIPPED_PLATFORMS]


def mapping_files(directories: Sequence[Path]) -> tuple[list[Path], list[Problem]]:
    """The mapping files in ``directories`` (sorted, examples left out), and the folders that are missing."""
    files: list[Path] = []
    problems: list[Problem] = []
    for directory in directories:
        if not directory.is_dir():
            problems.append(Problem(directory, 1, "this mapping folder does not exist; check the path"))
            continue
        files += sorted(
            path
            for path in directory.iterdir()
            if path.suffix in (".yaml", ".yml") and not path.name.endswith(EXAMPLES_SUFFIX) and path.is_file()
        )
    return files, problems


class MappingSet:
    """The loaded mappings, found by platform and canonical object."""

    def __init__(self, mappings: Iterable[ObjectMapping]) -> None:
        self._mappings = list(mappings)
        self._by_key = {(m.platform, m.canonical): m for m in self._mappings}

    def __iter__(self) -> Iterator[ObjectMapping]:
        return iter(self._mappings)

    def __len__(self) -> int:
        return len(self._mappings)

    def find(self, platform: str, canonical: str) -> ObjectMapping | None:
        """The mapping of ``platform`` records to canonical ``canonical``, or None."""
        return self._by_key.get((platform, canonical))

    def get(self, platform: str, canonical: str) -> ObjectMapping:
        """The mapping of ``platform`` records to canonical ``canonical``.

        Raises:
            MappingError: there is none; the message lists what ``platform`` has.
        """
        found = self.find(platform, canonical)
        if found is None:
            known = ", ".join(sorted(m.canonical for m in self.for_platform(platform))) or "none"
            raise MappingError(
                [], f"no mapping of {platform} records to canonical {canonical}; {platform} maps: {known}"
            )
        return found

    def for_platform(self, platform: str) -> list[ObjectMapping]:
        """Every mapping of ``platform``, in file order."""
        return [m for m in self._mappings if m.platform == platform]


def load_mappings(directories: Sequence[Path] | None = None) -> MappingSet:
    """Load every mapping file in ``directories`` (default: the shipped connectors' folders).

    Raises:
        MappingError: listing every problem in every file (``file:line: what; fix``).
    """
    files, problems = mapping_files(default_directories() if directories is None else directories)
    mappings: list[ObjectMapping] = []
    seen: dict[tuple[str, str], ObjectMapping] = {}
    for path in files:
        parsed, read_problems = read_yaml(path)
        problems += read_problems
        if parsed is None:
            continue
        mapping, compile_problems = compile_mapping(parsed)
        problems += compile_problems
        if mapping is None or read_problems:
            continue
        key = (mapping.platform, mapping.canonical)
        if key in seen:
            problems.append(
                parsed.problem(
                    ("canonical",),
                    f"{mapping.platform} is already mapped to {mapping.canonical} in {seen[key].path.name}; "
                    "keep one mapping per platform and canonical object",
                )
            )
            continue
        seen[key] = mapping
        mappings.append(mapping)
    if problems:
        raise MappingError(problems)
    return MappingSet(mappings)
