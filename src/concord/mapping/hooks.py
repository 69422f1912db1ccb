"""Python hooks: code for the rare field a transform cannot express.

A rule names its hook as ``package.module:function``. Two kinds exist:

- a *reader* (inbound), ``def reader(record: Mapping[str, Any], context: MappingContext) -> Any``, gets
  the whole platform record and returns the platform value for the rule (the rule's ``transform``, if
  any, then converts it). List the platform fields it reads under the rule's ``platform:`` so they are
  fetched and shown in lineage. Return None when the record has no value.
- a *writer* (outbound), ``def writer(value: Any, context: MappingContext) -> Mapping[str, Any]``, gets
  the platform value (after the rule's transform) and returns the platform fields to set. A writer that
  also needs other fields of the record (a journal's lines need its project) declares a third parameter
  named ``record``: it gets the canonical values being written (all of them on an upsert, the changed
  ones on an update).

``hook: module:function`` is a reader; ``hook: {inbound: module:reader, outbound: module:writer}`` gives
both. A hook raising ``ValueError``, ``LookupError`` or ``TypeError`` fails that one record with its
message; the rest flows on.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from concord.mapping.context import MappingContext

__all__ = ["HOOK_ERRORS", "HookRef", "ReaderHook", "WriterHook", "import_hook"]

ReaderHook = Callable[[Mapping[str, Any], MappingContext], Any]
WriterHook = Callable[[Any, MappingContext], Mapping[str, Any]]
HOOK_ERRORS = (ValueError, LookupError, TypeError)
"""What a hook may raise about a bad record (anything else is a bug and propagates)."""

_REFERENCE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*$")


@dataclass(frozen=True)
class HookRef:
    """An imported hook and the name it was given by."""

    name: str
    function: Callable[..., Any]
    takes_record: bool = False
    """Whether the function declares a ``record`` parameter (a writer that sees the whole record)."""


def import_hook(reference: str) -> HookRef | str:
    """Import ``package.module:function``; the hook, or a sentence saying what is wrong and how to fix it."""
    if not isinstance(reference, str) or not _REFERENCE.match(reference):
        return f"a hook is written package.module:function, such as mypkg.hooks:full_name, not {reference!r}"
    module_name, function_name = reference.split(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import failure is a configuration problem to report, not a crash
        return f"cannot import the hook module '{module_name}' ({type(exc).__name__}: {exc}); check its name"
    function = getattr(module, function_name, None)
    if function is None:
        return f"the module '{module_name}' has no function '{function_name}'; check the hook's name"
    if not callable(function):
        return f"'{reference}' is not a function"
    return HookRef(reference, cast(Callable[..., Any], function), _takes_record(function))


def _takes_record(function: Callable[..., Any]) -> bool:
    try:
        return "record" in inspect.signature(function).parameters
    except (TypeError, ValueError):  # a builtin without a signature takes what it is given
        return False
