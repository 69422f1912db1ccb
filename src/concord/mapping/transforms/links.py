"""Values that point elsewhere: ``lookup`` through the cross-reference, ``reference`` through a table.

``lookup`` turns the platform id of a related record into its Concord global id and back
(``Opportunity.AccountId`` ↔ ``customer_id``): ``transform: {lookup: Customer}`` names the canonical
object the id belongs to. Reading mints a global id for a record not seen before; writing a global id
the platform does not hold yet is an error (the related record must reach the platform first).

``reference`` looks a value up in a named reference table kept in configuration (region → legal entity,
NetSuite currency id → ISO code). Tables are looked up one way; to write back, name the table that
goes the other way: ``{reference: {table: netsuite_currency, reverse: netsuite_currency_id}}``.
"""

from __future__ import annotations

from typing import Any

from concord.mapping.canonical import CANONICAL_MODELS, Kind, close_to
from concord.mapping.transforms.base import (
    BadValue,
    BuildContext,
    Reader,
    Transform,
    Writer,
    check_options,
    json_ready,
    show,
)
from concord.mapping.transforms.enums import value_key

__all__ = ["Lookup", "ReferenceTable", "build_lookup", "build_reference"]


def _platform_id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadValue(f"{show(value)} is not a record id")
    return str(value).strip()


class Lookup(Transform):
    """A related record's platform id ↔ its global id."""

    name = "lookup"
    produces = frozenset({Kind.TEXT})

    def __init__(self, object_type: str, system: str) -> None:
        self.object_type = object_type
        self.system = system

    def describe(self) -> str:
        return f"lookup {self.object_type}"

    def to_canonical(self, value: Any, reader: Reader) -> Any:
        return reader.context.global_id(self.system, self.object_type, _platform_id(value))

    def to_platform(self, value: Any, writer: Writer) -> Any:
        found = writer.context.system_id(self.system, self.object_type, str(value))
        if found is None:
            raise BadValue(
                f"the {self.object_type} {value} is not in {self.system} yet; it must be written there first"
            )
        return found


def build_lookup(args: Any, ctx: BuildContext) -> Transform | None:
    options = (
        {"object": args}
        if isinstance(args, str)
        else check_options(args, ["object", "system"], ctx.report, "lookup")
    )
    if options is None:
        return None
    object_type = options.get("object")
    system = options.get("system", ctx.system)
    if not isinstance(object_type, str) or object_type not in CANONICAL_MODELS:
        names = sorted(CANONICAL_MODELS)
        hint = close_to(str(object_type), names) if object_type else ""
        ctx.report.fail(
            f"`lookup` names the canonical object the id belongs to{hint}, such as {{lookup: Customer}}; "
            f"known objects: {', '.join(names)}"
        )
        return None
    if not isinstance(system, str) or not system:
        ctx.report.fail("system names a connected system, such as salesforce", "system")
        return None
    return Lookup(object_type, system)


class ReferenceTable(Transform):
    """A value looked up in a reference table."""

    name = "reference"

    def __init__(self, table: str, reverse: str | None) -> None:
        self.table = table
        self.reverse = reverse

    def describe(self) -> str:
        return f"reference {self.table}"

    def outbound_problem(self) -> str | None:
        if self.reverse is None:
            return (
                "reference tables are looked up one way; to write back, add `reverse: <table>` "
                "(a table from the canonical value to the platform value) "
                f"to {{reference: {{table: {self.table}}}}}, "
                "or `direction: inbound`"
            )
        return None

    def to_canonical(self, value: Any, reader: Reader) -> Any:
        found = reader.context.reference(self.table, value_key(value))
        if found is None:
            raise BadValue(f"{show(value)} is not in the reference table '{self.table}'; add it there")
        return json_ready(found)

    def to_platform(self, value: Any, writer: Writer) -> Any:
        assert self.reverse is not None
        found = writer.context.reference(self.reverse, value_key(value))
        if found is None:
            raise BadValue(f"{show(value)} is not in the reference table '{self.reverse}'; add it there")
        return found


def build_reference(args: Any, ctx: BuildContext) -> Transform | None:
    options = (
        {"table": args}
        if isinstance(args, str)
        else check_options(args, ["table", "reverse"], ctx.report, "reference")
    )
    if options is None:
        return None
    table, reverse = options.get("table"), options.get("reverse")
    if not isinstance(table, str) or not table:
        ctx.report.fail("`reference` names a reference table, such as {reference: region_legal_entity}")
        return None
    if reverse is not None and (not isinstance(reverse, str) or not reverse):
        ctx.report.fail("reverse names a reference table", "reverse")
        return None
    return ReferenceTable(table, reverse)
