"""Turn a REST request body into a record draft: fields checked and converted, references resolved,
sublist lines merged the way NetSuite merges them.

References are ``{"id": "12"}`` or ``{"externalId": "CRM-1"}``; sublists are ``{"items": [...]}``.
On update, a sublist line that names an existing ``line`` is changed in place and other lines are
added, unless the sublist is listed in the ``replace`` query parameter, which swaps all its lines.
Custom fields (``custbody_*``, ``custentity_*``, ``custcol_*``, ``custrecord_*``) are accepted as
free-form scalars, which is how Concord stores its correlation id.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from concord.sandbox.netsuite.catalog import RECORD_TYPES
from concord.sandbox.netsuite.errors import invalid_content
from concord.sandbox.netsuite.fields import Field, Kind, RecordType, Sublist, parse_value
from concord.sandbox.netsuite.store import Lines, RecordRepository, StoredRecord

CUSTOM_PREFIXES = ("custbody", "custentity", "custcol", "custrecord", "custevent", "custitem")
_IGNORED = frozenset({"links", "id", "refName"})


@dataclass(frozen=True)
class Draft:
    """A record's body and lines as they would be stored after the request."""

    body: dict[str, Any]
    lines: Lines


def is_custom(name: str) -> bool:
    """Whether ``name`` is a custom field id."""
    return name.startswith(CUSTOM_PREFIXES)


def build_draft(
    record_type: RecordType,
    body: Any,
    existing: StoredRecord | None,
    repo: RecordRepository,
    *,
    replace: Collection[str] = (),
    strict_names: bool = False,
) -> Draft:
    """Apply a request body to an existing record (or to nothing, for a create).

    Args:
        record_type: The record type addressed.
        body: The parsed JSON body.
        existing: The record being updated, if any.
        repo: Used to resolve and check references.
        replace: Sublists whose lines the request replaces entirely.
        strict_names: Refuse unknown field names (``X-NetSuite-PropertyNameValidation: Error``);
            otherwise they are ignored, NetSuite's default.

    Returns:
        The merged draft.

    Raises:
        NetSuiteError: 400 when a field, a line or a reference is not acceptable.
    """
    if not isinstance(body, Mapping):
        raise invalid_content("Invalid content in the request body. The body must be a JSON object.")
    new_body = dict(existing.body) if existing else {}
    new_lines = {
        name: [dict(line) for line in items] for name, items in (existing.lines if existing else {}).items()
    }
    for name, value in body.items():
        if name in _IGNORED:
            continue
        sublist = record_type.sublist(name)
        if sublist is not None:
            incoming = _parse_lines(sublist, value, repo)
            current = [] if existing is None or name in replace else new_lines.get(name, [])
            new_lines[name] = _merge_lines(current, incoming)
            continue
        spec = record_type.field(name)
        if spec is None:
            if is_custom(name):
                _set(new_body, name, _custom_value(name, value))
            elif strict_names:
                raise invalid_content(
                    f"Error while accessing a resource. Invalid field name {name}.", error_path=name
                )
            continue
        if spec.read_only:
            continue
        _set(new_body, name, _field_value(spec, value, name, repo))
    return Draft(new_body, new_lines)


def _set(target: dict[str, Any], name: str, value: Any) -> None:
    # Sending null clears a field; NetSuite leaves empty fields out of the record.
    if value is None:
        target.pop(name, None)
    else:
        target[name] = value


def _custom_value(name: str, value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Mapping) and isinstance(value.get("id"), str | int):
        return str(value["id"])
    raise invalid_content(
        "Error while accessing a resource. You have entered an Invalid Field Value "
        f"for the following field: {name}",
        error_path=name,
    )


def _field_value(spec: Field, value: Any, path: str, repo: RecordRepository) -> Any:
    stored = parse_value(spec, value, path)
    if stored is None or spec.kind is not Kind.REF:
        return stored
    return resolve_reference(spec, str(stored), path, repo)


def resolve_reference(spec: Field, ref: str, path: str, repo: RecordRepository) -> str:
    """Turn ``"12"`` or ``"eid:CRM-1"`` into an internal id that exists among ``spec.targets``.

    Raises:
        NetSuiteError: 400 ``INVALID_CONTENT`` when nothing matches.
    """
    if not spec.targets:
        if ref.startswith("eid:"):
            raise _invalid_reference(spec, ref[4:], path)
        return ref
    if ref.startswith("eid:"):
        for name in spec.targets:
            found = repo.find_external(RECORD_TYPES[name], ref[4:])
            if found is not None:
                return found.id
        raise _invalid_reference(spec, ref[4:], path)
    if repo.get_any(spec.targets, ref) is None:
        raise _invalid_reference(spec, ref, path)
    return ref


def _invalid_reference(spec: Field, shown: str, path: str) -> Exception:
    return invalid_content(
        f"Error while accessing a resource. You have entered an Invalid Field Value {shown} "
        f"for the following field: {spec.name}",
        error_path=path,
    )


def _parse_lines(sublist: Sublist, value: Any, repo: RecordRepository) -> list[dict[str, Any]]:
    items = value.get("items") if isinstance(value, Mapping) else None
    if not isinstance(items, list):
        raise invalid_content(
            f"Invalid content in the request body. The sublist {sublist.name} must be an object with items.",
            error_path=sublist.name,
        )
    parsed: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        path = f"{sublist.name}.items[{index}]"
        if not isinstance(item, Mapping):
            raise invalid_content("Invalid content in the request body.", error_path=path)
        line: dict[str, Any] = {}
        for name, raw in item.items():
            if name == "line":
                line["line"] = _line_number(raw, path)
                continue
            spec = sublist.field(name)
            if spec is None:
                if is_custom(name):
                    _set(line, name, _custom_value(name, raw))
                continue
            if not spec.read_only:
                line[name] = _field_value(spec, raw, f"{path}.{name}", repo)
        parsed.append(line)
    return parsed


def _line_number(raw: Any, path: str) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
        return raw
    if isinstance(raw, str) and raw.isdigit():
        return int(raw)
    raise invalid_content("Invalid line number.", error_path=f"{path}.line")


def _merge_lines(current: list[dict[str, Any]], incoming: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged = [dict(line) for line in current]
    by_number = {line["line"]: line for line in merged if "line" in line}
    next_number = max(by_number, default=0) + 1
    for line in incoming:
        target = by_number.get(line.get("line", -1))
        if target is not None:
            for name, value in line.items():
                _set(target, name, value)
            continue
        fresh = {name: value for name, value in line.items() if value is not None}
        fresh["line"] = next_number
        next_number += 1
        merged.append(fresh)
    return merged
