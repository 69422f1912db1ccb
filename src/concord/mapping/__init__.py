"""Declarative mappings between platform records and canonical objects: files, transforms, lineage.

One YAML file per (platform object ↔ canonical object), kept in each connector's ``mappings`` folder
with its examples beside it. ``load_mappings()`` reads and checks them all (every problem reported as
``file:line: what; fix``); an ``ObjectMapping`` then turns platform records into canonical business
fields with the lineage of each value (``to_canonical``) and canonical fields into platform bodies
(``to_platform``). ``concord mappings check`` and ``concord mappings test`` run the same code.
"""

from __future__ import annotations

from concord.mapping.context import MappingContext, MemoryContext
from concord.mapping.errors import MappingError, MappingFailure, Problem
from concord.mapping.loader import MappingSet, default_directories, load_mappings
from concord.mapping.runtime import FieldRule, Lineage, Mapped, ObjectMapping

__all__ = [
    "FieldRule",
    "Lineage",
    "Mapped",
    "MappingContext",
    "MappingError",
    "MappingFailure",
    "MappingSet",
    "MemoryContext",
    "ObjectMapping",
    "Problem",
    "default_directories",
    "load_mappings",
]
