"""Money: exact decimal amounts with a currency that reconcile to the cent (hours are in ``hours``).

Every figure Concord sends is built from line amounts rounded half-up to the currency's minor unit,
and every total is the sum of those rounded lines (domain.md §2). Floats are refused everywhere,
because a float cannot hold 0.10 exactly and a ledger must.

`Money` is a pydantic field type: it validates from Python values or JSON, and serialises to JSON with
its amount as a string (`{"amount": "1234.50", "currency": "USD"}`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Context, Decimal
from types import MappingProxyType
from typing import Annotated, Any, Final, TypeAlias

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

__all__ = [
    "DECIMAL_PATTERN",
    "ISO_4217_MINOR_UNITS",
    "CurrencyCode",
    "CurrencyMismatch",
    "Money",
    "canonical_decimal",
    "check_currency",
    "line_amount",
    "minor_unit",
    "split_evenly",
    "to_decimal",
]

# Active ISO 4217 currencies (list one, 2025), grouped by the decimal places of their minor unit.
# Funds codes, precious metals and testing codes are left out: nobody invoices a consultant in gold.
_BY_MINOR_UNIT: Final = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    2: "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD "
    "CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD "
    "GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD "
    "MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP "
    "PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS "
    "TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG",
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}
ISO_4217_MINOR_UNITS: Final[Mapping[str, int]] = MappingProxyType(
    {code: places for places, codes in _BY_MINOR_UNIT.items() for code in codes.split()}
)
"""Currency code → decimal places of its minor unit (USD 2, JPY 0, KWD 3)."""

DECIMAL_PATTERN: Final = r"^-?\d+(\.\d+)?$"
_DECIMAL_RE: Final = re.compile(DECIMAL_PATTERN)
_CURRENCY_RE: Final = re.compile(r"^[A-Z]{3}$")
# Arithmetic and quantizing use more than the default 28 digits, so nothing within the limits below is
# ever rounded except on purpose.
_EXACT: Final = Context(prec=60, rounding=ROUND_HALF_UP)
# No real business figure comes near these; they stop absurd input before it costs memory or time.
_MAX_AMOUNT: Final = Decimal(10) ** 18
_QUANTA: Final = {places: Decimal(1).scaleb(-places) for places in _BY_MINOR_UNIT}
"""The minor unit of each number of decimal places (0.01 for 2): what ``Money.round`` quantizes to."""


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined or compared."""

    def __init__(self, operation: str, left: Money, right: Money) -> None:
        super().__init__(
            f"Cannot {operation} {left} and {right}: they are in different currencies "
            f"({left.currency} and {right.currency}); convert one of them first."
        )
        self.left = left
        self.right = right


def check_currency(code: str) -> str:
    """Return `code` if it is an ISO 4217 currency Concord knows, else raise ValueError.

    Args:
        code: a three-letter upper-case code such as "USD".
    """
    if not isinstance(code, str) or not _CURRENCY_RE.fullmatch(code):
        raise ValueError(
            f"Currency must be a three-letter upper-case ISO 4217 code such as 'USD', got {code!r}."
        )
    if code not in ISO_4217_MINOR_UNITS:
        raise ValueError(f"Currency {code!r} is not an ISO 4217 currency Concord knows.")
    return code


def minor_unit(currency: str) -> int:
    """Number of decimal places of a currency's minor unit (USD 2, JPY 0, KWD 3)."""
    return ISO_4217_MINOR_UNITS[check_currency(currency)]


def to_decimal(value: object, what: str = "amount") -> Decimal:
    """Convert a Decimal, int or decimal string to a finite Decimal; refuse floats.

    Args:
        value: the value to convert.
        what: what the value is, for the error message ("amount", "hours", ...).

    Raises:
        TypeError: for a float, a bool or any other type.
        ValueError: for a string that is not a plain decimal number, or a NaN or infinite Decimal.
    """
    if isinstance(value, float):
        raise TypeError(
            f"The {what} {value!r} is a float; Concord never uses floats for money or hours. "
            f"Pass a Decimal or a string such as '{value}'."
        )
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(
            f"The {what} must be a Decimal, an int or a decimal string, got {type(value).__name__}."
        )
    if isinstance(value, str):
        if not _DECIMAL_RE.fullmatch(value):
            raise ValueError(f"The {what} {value!r} is not a decimal number such as '1234.50'.")
        value = Decimal(value)
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"The {what} must be a finite number, got {number}.")
    return number


def canonical_decimal(value: Decimal, places: int = 0) -> str:
    """One string per numeric value: at least `places` decimals, no trailing zeros beyond, no exponent.

    Equal values give equal strings ("10", "10.0" and "10.00" all give "10.00" with places=2), which
    keeps JSON output and content hashes stable.
    """
    _, digits, exponent = value.as_tuple()
    # Already canonical (the common case: an amount with exactly its currency's decimals, or more decimals
    # without trailing zeros): the general path below would give the same text.
    if (
        isinstance(exponent, int)
        and any(digits)
        and (exponent == -places or (exponent < -places and digits[-1] != 0))
    ):
        return format(value, "f")
    number = value.normalize(Context(prec=max(len(digits), 1)))  # exact: no digit is lost
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -places:
        number = number.quantize(Decimal(1).scaleb(-places), context=_EXACT)
    if number.is_zero():
        number = abs(number)
    return format(number, "f")


class Money:
    """An exact amount in one ISO 4217 currency. Immutable.

    Amounts keep full precision (a rate may be 152.1275 USD/h) until `round()` brings them to the
    currency's minor unit. Arithmetic between different currencies raises `CurrencyMismatch`.

    Args:
        amount: a Decimal, an int or a decimal string; never a float.
        currency: an ISO 4217 code such as "USD".
    """

    __slots__ = ("_amount", "_currency")
    _amount: Decimal
    _currency: str

    def __init__(self, amount: Decimal | int | str, currency: str) -> None:
        # Money is built on every line of every posting: the common case (a finite Decimal, a currency
        # Concord knows) skips the general checks, which would say the same.
        number = amount if type(amount) is Decimal and amount.is_finite() else to_decimal(amount, "amount")
        if abs(number) >= _MAX_AMOUNT:
            raise ValueError(f"The amount {number} is too large to be a real business figure.")
        object.__setattr__(self, "_amount", number)
        known = type(currency) is str and currency in ISO_4217_MINOR_UNITS
        object.__setattr__(self, "_currency", currency if known else check_currency(currency))

    @property
    def amount(self) -> Decimal:
        """The exact amount, at whatever precision it was built with."""
        return self._amount

    @property
    def currency(self) -> str:
        """The ISO 4217 currency code."""
        return self._currency

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in `currency`, at the currency's minor unit."""
        return cls(Decimal(0), currency).round()

    @classmethod
    def sum(cls, lines: Iterable[Money], currency: str) -> Money:
        """Total of `lines`, each first rounded half-up to the minor unit: what is sent reconciles.

        Args:
            lines: the line amounts; all must be in `currency`.
            currency: the currency of the total (needed so an empty list has one).

        Raises:
            CurrencyMismatch: if a line is in another currency.
        """
        # As ``total + line.round()`` line after line, without building a Money at each step (a posting
        # sums hundreds of lines): each line rounded half-up, then added exactly; the same checks.
        total = cls.zero(currency)
        places = _QUANTA[total.minor_unit]
        amount = total.amount
        for line in lines:
            if line.currency != currency:
                raise CurrencyMismatch("add", Money(amount, currency), line.round())
            rounded = line.amount.quantize(places, rounding=ROUND_HALF_UP, context=_EXACT)
            if abs(rounded) >= _MAX_AMOUNT:
                line.round()  # refuses it, as it says
            amount = _EXACT.add(amount, rounded)
            if abs(amount) >= _MAX_AMOUNT:
                raise ValueError(f"The amount {amount} is too large to be a real business figure.")
        return Money(amount, currency)

    @property
    def minor_unit(self) -> int:
        """Decimal places of this currency's minor unit."""
        return ISO_4217_MINOR_UNITS[self.currency]

    @property
    def is_rounded(self) -> bool:
        """Whether the amount has no more decimals than the currency's minor unit."""
        exponent = self.amount.as_tuple().exponent
        if isinstance(exponent, int) and exponent >= -self.minor_unit:
            return True  # written with no more decimals than that: rounding cannot change it
        return self.round().amount == self.amount

    @property
    def is_zero(self) -> bool:
        """Whether the amount is zero."""
        return self.amount.is_zero()

    def round(self) -> Money:
        """This amount rounded half-up (ties away from zero) to the currency's minor unit."""
        places = _QUANTA[self.minor_unit]
        return Money(self.amount.quantize(places, rounding=ROUND_HALF_UP, context=_EXACT), self.currency)

    def _same_currency(self, operation: str, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(
                f"Cannot {operation} Money and {type(other).__name__}; "
                "use Money values (and Money.sum for totals)."
            )
        if other.currency != self.currency:
            raise CurrencyMismatch(operation, self, other)
        return other

    def __add__(self, other: object) -> Money:
        return Money(_EXACT.add(self.amount, self._same_currency("add", other).amount), self.currency)

    def __radd__(self, other: object) -> Money:
        return self._same_currency("add", other) + self

    def __sub__(self, other: object) -> Money:
        return Money(
            _EXACT.subtract(self.amount, self._same_currency("subtract", other).amount), self.currency
        )

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, Money):
            raise TypeError("Cannot multiply Money by Money; multiply by a Decimal quantity or rate.")
        return Money(_EXACT.multiply(self.amount, to_decimal(factor, "factor")), self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __lt__(self, other: object) -> bool:
        return self.amount < self._same_currency("compare", other).amount

    def __le__(self, other: object) -> bool:
        return self.amount <= self._same_currency("compare", other).amount

    def __gt__(self, other: object) -> bool:
        return self.amount > self._same_currency("compare", other).amount

    def __ge__(self, other: object) -> bool:
        return self.amount >= self._same_currency("compare", other).amount

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.currency, self.amount))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Money is immutable; build a new Money instead.")

    def __reduce__(self) -> tuple[type[Money], tuple[str, str]]:
        return (Money, (format(self.amount, "f"), self.currency))

    def __repr__(self) -> str:
        return f"Money('{format(self.amount, 'f')}', '{self.currency}')"

    def __str__(self) -> str:
        """Business form, e.g. "USD 1,234.50"."""
        return f"{self.currency} {Decimal(canonical_decimal(self.amount, self.minor_unit)):,f}"

    def to_json(self) -> dict[str, str]:
        """The JSON form: amount as a canonical decimal string, never a float."""
        return {"amount": canonical_decimal(self.amount, self.minor_unit), "currency": self.currency}

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate_money,
            ref="concord.Money",
            serialization=core_schema.plain_serializer_function_ser_schema(
                Money.to_json, when_used="json-unless-none"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "object",
            "title": "Money",
            "description": "An exact amount in an ISO 4217 currency; the amount is a decimal string.",
            "properties": {
                "amount": {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN},
                "currency": {"type": "string", "pattern": _CURRENCY_RE.pattern},
            },
            "required": ["amount", "currency"],
            "additionalProperties": False,
        }


def _validate_money(value: object) -> Money:
    if isinstance(value, Money):
        return value
    if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
        shape = '{"amount": "<decimal string>", "currency": "<ISO 4217 code>"}'
        raise PydanticCustomError(
            "money_format",
            "Money must be an object {shape}, got {value}.",
            {"shape": shape, "value": repr(value)[:80]},
        )
    try:
        return Money(value["amount"], value["currency"])
    except (TypeError, ValueError) as exc:
        raise PydanticCustomError("money_invalid", "{reason}", {"reason": str(exc)}) from exc


def line_amount(quantity: Decimal | int, rate: Money) -> Money:
    """One line's amount: quantity times rate, rounded half-up to the currency's minor unit.

    Args:
        quantity: hours (or units); an `Hours` is a Decimal, so it fits here.
        rate: the price of one unit.
    """
    return (rate * quantity).round()


def split_evenly(total: Money, parts: int) -> list[Money]:
    """Split a total into `parts` rounded amounts that differ by at most one minor unit and add up exactly.

    Used for straight-line schedules (a subscription fee over 12 months). The earlier parts take the
    leftover minor units, so the split is deterministic.
    """
    if parts < 1:
        raise ValueError(f"A total can only be split into one or more parts, not {parts}.")
    rounded = total.round()
    unit = Decimal(1).scaleb(-rounded.minor_unit)
    units = int((rounded.amount / unit).to_integral_value(context=_EXACT))
    base, extra = divmod(abs(units), parts)
    sign = -1 if units < 0 else 1
    return [Money(sign * (base + (1 if i < extra else 0)) * unit, total.currency) for i in range(parts)]


class _CurrencyCodeMarker:
    """Annotation that validates a str field as a known ISO 4217 code."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def validate(value: str) -> str:
            try:
                return check_currency(value)
            except ValueError as exc:
                raise PydanticCustomError("currency_invalid", "{reason}", {"reason": str(exc)}) from exc

        return core_schema.no_info_after_validator_function(validate, core_schema.str_schema())

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": _CURRENCY_RE.pattern, "description": "ISO 4217 currency code."}


CurrencyCode: TypeAlias = Annotated[str, _CurrencyCodeMarker()]
"""A str field holding an ISO 4217 currency code Concord knows."""
