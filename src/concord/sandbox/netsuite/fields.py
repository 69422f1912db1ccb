"""Field kinds of the emulated records, and how each is read from a request and stored.

A stored document holds only JSON-safe values so the core document store can keep it as is: dates and
datetimes as ISO strings, money and other decimals as the ``str`` of a ``Decimal`` (exact, never a
float), references as the referenced internal id (a string), booleans as booleans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from concord.sandbox.netsuite.errors import NetSuiteError, invalid_content

CENT = Decimal("0.01")
# NetSuite amounts stay far below this; the bound keeps line arithmetic exact within Decimal's precision.
MAX_MAGNITUDE = Decimal("1e12")
_DURATION = re.compile(r"^(\d+):([0-5]\d)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Kind(StrEnum):
    """How a field's value is validated, stored and rendered."""

    TEXT = "text"
    BOOL = "bool"
    INT = "int"
    DATE = "date"
    DATETIME = "datetime"
    MONEY = "money"
    DECIMAL = "decimal"
    DURATION = "duration"
    REF = "ref"
    SELECT = "select"


@dataclass(frozen=True)
class Field:
    """One body field of a record or of a sublist line.

    Attributes:
        name: The REST (camelCase) name; its lower-cased form is the SuiteQL column.
        kind: The value kind.
        targets: For ``REF``: the record types the id may point to; empty means any id is accepted
            (references to record types the emulator does not model, such as ``currency``).
        required: Must be present (after defaults) when a record is created.
        read_only: Computed by the emulator; ignored when sent.
        choices: For ``SELECT``: id → display name.
        label: The name NetSuite shows in "Please enter value(s) for" messages.
    """

    name: str
    kind: Kind
    targets: tuple[str, ...] = ()
    required: bool = False
    read_only: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    label: str = ""

    @property
    def column(self) -> str:
        """The SuiteQL column name."""
        return self.name.lower()

    @property
    def display(self) -> str:
        """The label used in messages."""
        return self.label or self.name


@dataclass(frozen=True)
class Sublist:
    """A sublist (``item``, ``line``, ``expense``...) and the fields of its lines."""

    name: str
    fields: tuple[Field, ...]
    required: bool = False

    def field(self, name: str) -> Field | None:
        """The line field called ``name``, if any."""
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class RecordType:
    """A record type served under ``/services/rest/record/v1/{name}``.

    Attributes:
        name: The REST record type id (``customer``, ``timeBill``...).
        fields: Body fields (system fields such as ``id`` and ``externalId`` are added by the catalog).
        sublists: Sublists of lines.
        id_sequence: The internal-id space the type draws from; NetSuite entities share one space and
            transactions another, which makes SuiteQL's ``transaction`` table ids unique.
        posting: A transaction that posts to the general ledger; closed periods refuse it.
        suiteql_table: The SuiteQL table the records appear in.
        tran_type: For transactions, the ``transaction.type`` code (``CustInvc``...).
        tran_prefix: Prefix of the generated ``tranId`` (``INV``...).
        ref_name_fields: Fields tried in order for a reference's ``refName``.
        created_field: Name of the creation timestamp field (``dateCreated`` or ``createdDate``).
    """

    name: str
    fields: tuple[Field, ...]
    sublists: tuple[Sublist, ...] = ()
    id_sequence: str = ""
    posting: bool = False
    suiteql_table: str = ""
    tran_type: str = ""
    tran_prefix: str = ""
    ref_name_fields: tuple[str, ...] = ("name",)
    created_field: str = "dateCreated"
    field_index: dict[str, Field] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.field_index.update({f.name: f for f in self.fields})

    def field(self, name: str) -> Field | None:
        """The body field called ``name``, if any."""
        return self.field_index.get(name)

    def sublist(self, name: str) -> Sublist | None:
        """The sublist called ``name``, if any."""
        return next((s for s in self.sublists if s.name == name), None)

    @property
    def sequence(self) -> str:
        """The internal-id sequence name."""
        return self.id_sequence or self.name


def parse_value(spec: Field, value: Any, path: str) -> Any:
    """Validate a request value and convert it to its stored form.

    Args:
        spec: The field.
        value: The value from the JSON body (``Decimal`` for non-integer numbers).
        path: The JSON path, used as ``o:errorPath``.

    Returns:
        The stored value, or ``None`` when the request clears the field.

    Raises:
        NetSuiteError: 400 ``INVALID_CONTENT`` when the value does not fit the field.
    """
    if value is None:
        return None
    parser = _PARSERS[spec.kind]
    try:
        return parser(spec, value)
    except (ValueError, TypeError, InvalidOperation, ArithmeticError) as exc:
        raise _bad_value(spec, value, path) from exc


def _bad_value(spec: Field, value: Any, path: str) -> NetSuiteError:
    shown = value if isinstance(value, str | int | Decimal) else type(value).__name__
    return invalid_content(
        f"Error while accessing a resource. You have entered an Invalid Field Value {shown} "
        f"for the following field: {spec.name}",
        error_path=path,
    )


def _text(_: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("text expected")
    return value


def _bool(_: Field, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("boolean expected")
    return value


def _int(_: Field, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError("integer expected")
    return int(value)


def _date(_: Field, value: Any) -> str:
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise TypeError("date expected")
    return date.fromisoformat(value).isoformat()


def _datetime(_: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("datetime expected")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return format_datetime(parsed)


def to_decimal(value: Any) -> Decimal:
    """A JSON number or numeric string as a finite ``Decimal`` (never through float)."""
    if isinstance(value, bool | float):
        raise TypeError("exact number expected")
    number = Decimal(value) if isinstance(value, int | str) else value
    if not isinstance(number, Decimal) or not number.is_finite() or abs(number) >= MAX_MAGNITUDE:
        raise ValueError("number expected")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -12:
        raise ValueError("too many decimal places")
    return number


def _money(_: Field, value: Any) -> str:
    return str(to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def _decimal(_: Field, value: Any) -> str:
    return str(to_decimal(value))


def _duration(_: Field, value: Any) -> str:
    # Durations arrive as decimal hours (7.5) or as "H:MM" text ("7:30"); both store decimal hours.
    if isinstance(value, str) and (match := _DURATION.match(value.strip())):
        hours = Decimal(match.group(1)) + Decimal(match.group(2)) / Decimal(60)
        return str(hours.quantize(CENT, rounding=ROUND_HALF_UP))
    hours = to_decimal(value)
    if hours < 0:
        raise ValueError("negative duration")
    return str(hours.quantize(CENT, rounding=ROUND_HALF_UP))


def _ref(_: Field, value: Any) -> str:
    # References are objects {"id": "12"}; the emulator also resolves {"externalId": ...} later.
    if (
        isinstance(value, dict)
        and isinstance(value.get("id"), str | int)
        and not isinstance(value["id"], bool)
    ):
        return str(value["id"])
    if isinstance(value, dict) and isinstance(value.get("externalId"), str):
        return "eid:" + str(value["externalId"])
    raise TypeError("reference expected")


def _select(spec: Field, value: Any) -> str:
    key = _ref(spec, value) if isinstance(value, dict) else value
    if not isinstance(key, str | int) or str(key) not in dict(spec.choices):
        raise ValueError("unknown choice")
    return str(key)


_PARSERS = {
    Kind.TEXT: _text,
    Kind.BOOL: _bool,
    Kind.INT: _int,
    Kind.DATE: _date,
    Kind.DATETIME: _datetime,
    Kind.MONEY: _money,
    Kind.DECIMAL: _decimal,
    Kind.DURATION: _duration,
    Kind.REF: _ref,
    Kind.SELECT: _select,
}


def format_datetime(moment: datetime) -> str:
    """A UTC timestamp as NetSuite's REST API writes it: whole seconds, ``Z`` suffix."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: str) -> datetime:
    """The inverse of :func:`format_datetime` (``fromisoformat``: strptime is far slower)."""
    return datetime.fromisoformat(text).astimezone(UTC)


def render_value(spec: Field, stored: Any) -> Any:
    """The API form of a stored scalar (references are rendered by the caller)."""
    if stored is None:
        return None
    if spec.kind in (Kind.MONEY, Kind.DECIMAL, Kind.DURATION):
        return Decimal(stored)
    return stored
