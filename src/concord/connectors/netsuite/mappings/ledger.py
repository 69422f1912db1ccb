"""Code the NetSuite mapping files call for time posted to the ledger and the periods it is posted into.

A time posting is a journal entry. Each time entry it holds is a line on the labour cost account: the
project's NetSuite job as the line's entity, and the entry's global id and hours in the custom columns
``custcol_concord_time_entry`` and ``custcol_concord_hours`` (the drill-back from the ledger to the
entry). One more line on the accrued labour account balances them. A posting debits cost and credits
the accrual; its reversal credits cost and debits the accrual. NetSuite journal lines carry positive
amounts only (the side gives the sign) and a journal must balance to the cent.

Which accounts those are differs per chart of accounts: the reference table ``netsuite_account_id`` maps
``labour_cost`` and ``accrued_labour`` to the internal ids of the firm's NetSuite accounts.

An entry without cost (a cost rate of 0) keeps its line, at 0.00, so every posted entry can be found from
the ledger. The emulator accepts a zero line in a balanced journal; [U] whether every NetSuite account
does is unverified (a journal of zero lines only, when no entry has a cost, is the case to watch).

The custom fields (``custbody_concord_*``, ``custcol_concord_*``) must exist in the account: Concord's
SuiteCloud customization creates them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from concord.mapping.context import MappingContext

__all__ = [
    "ACCOUNTS",
    "CURRENCIES",
    "currency_id",
    "job_id",
    "journal_currency",
    "journal_lines",
    "journal_memo",
    "money",
    "period_closed",
    "period_summary",
    "plain",
    "posting_memo",
    "to_decimal",
]

ACCOUNTS = "netsuite_account_id"
"""Reference table: the role of an account in a time posting (``labour_cost``, ``accrued_labour``) → the
internal id of the firm's NetSuite account."""

CURRENCIES = "netsuite_currency_id"
"""Reference table: ISO currency code → internal id of the NetSuite currency."""

_CENT = Decimal("0.01")


# -- accounting periods (inbound) ------------------------------------------------------------------------


def _flag(value: Any) -> bool:
    """A NetSuite checkbox as SuiteQL (``T``/``F``) or the REST API (true/false) gives it."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().upper() in ("T", "TRUE")


def period_closed(record: Mapping[str, Any], context: MappingContext) -> bool:
    """Whether a period refuses postings: closed, or locked for every kind of transaction."""
    return _flag(record.get("closed")) or _flag(record.get("allLocked"))


def period_summary(record: Mapping[str, Any], context: MappingContext) -> bool:
    """Whether a period is a quarter or a year, which groups months and is not posted into."""
    return _flag(record.get("isYear")) or _flag(record.get("isQuarter"))


# -- time postings (outbound) ----------------------------------------------------------------------------


def journal_memo(summary: Any, context: MappingContext, record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The journal's memo: the posting's summary, what it reverses, and the date it was moved from."""
    return {"memo": posting_memo(summary, record)}


def posting_memo(summary: Any, record: Mapping[str, Any]) -> str:
    """A posting's memo, as a journal or an expense report carries it: its summary, what it reverses, and
    the date it was moved from, so a reversal or a re-dated posting explains itself in the ledger."""
    parts = [str(summary)] if summary else []
    if record.get("reverses"):
        parts.append(f"reverses {record['reverses']}")
    if record.get("redated_from"):
        parts.append(f"re-dated from {record['redated_from']}")
    return "; ".join(parts)


def journal_currency(amount: Any, context: MappingContext, record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The journal's currency: that of the posting's cost amount.

    Raises:
        LookupError: the reference table has no NetSuite currency for it.
    """
    return {"currency": {"id": currency_id(context, money(record.get("cost_amount"))[1])}}


def journal_lines(entries: Any, context: MappingContext, record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The journal's lines: one per entry on the labour cost account, and the accrual that balances them.

    Raises:
        LookupError: an account is missing from ``netsuite_account_id``, or the project is not in NetSuite.
        ValueError: the entries are not a posting's entries.
    """
    if not isinstance(entries, Sequence) or isinstance(entries, str) or not entries:
        raise ValueError("a posting needs its time entries to make journal lines")
    labour, accrued = _account(context, "labour_cost"), _account(context, "accrued_labour")
    job = job_id(context, record.get("project_id"), "a posting's journal lines need the posting's project")
    reversal = to_decimal(record.get("hours"), "hours") < 0
    entry_side, balance_side = ("credit", "debit") if reversal else ("debit", "credit")
    lines, total = [], Decimal(0)
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise ValueError(f"{entry!r} is not a posted time entry")
        amount = abs(money(entry.get("cost_amount"))[0])
        hours = to_decimal(entry.get("hours"), "hours")
        total += amount
        lines.append(
            {
                "account": {"id": labour},
                entry_side: plain(amount),
                "memo": f"Time entry {entry.get('entry_id')}: {hours} h",
                "entity": {"id": job},
                "custcol_concord_time_entry": str(entry.get("entry_id")),
                "custcol_concord_hours": hours,
            }
        )
    count = f"{len(lines)} time {'entry' if len(lines) == 1 else 'entries'}"
    lines.append({"account": {"id": accrued}, balance_side: plain(total), "memo": f"Accrued labour, {count}"})
    return {"line": {"items": lines}}


def _account(context: MappingContext, role: str) -> str:
    found = context.reference(ACCOUNTS, role)
    if found is None:
        raise LookupError(
            f"the reference table '{ACCOUNTS}' has no '{role}' entry; add the internal id of the NetSuite "
            f"account time is posted to as {role.replace('_', ' ')}"
        )
    return str(found)


def currency_id(context: MappingContext, currency: str) -> str:
    """The internal id of a NetSuite currency, from the reference table ``netsuite_currency_id``.

    Raises:
        LookupError: the table has no entry for the currency.
    """
    found = context.reference(CURRENCIES, currency)
    if found is None:
        raise LookupError(f"the reference table '{CURRENCIES}' has no '{currency}' entry; add it")
    return str(found)


def job_id(context: MappingContext, project_id: Any, missing: str) -> str:
    """The internal id of the project's NetSuite job, which a posting's lines name.

    Raises:
        ValueError: no project (``missing`` says what needed it).
        LookupError: the project is not written to NetSuite yet.
    """
    if not project_id:
        raise ValueError(missing)
    found = context.system_id("netsuite", "Project", str(project_id))
    if found is None:
        raise LookupError(f"the Project {project_id} is not in netsuite yet; it must be written there first")
    return found


def money(value: Any) -> tuple[Decimal, str]:
    """The amount and currency of a canonical money value (``{"amount", "currency"}``).

    Raises:
        ValueError: the value is not an amount with a currency.
    """
    if not isinstance(value, Mapping) or "amount" not in value or "currency" not in value:
        raise ValueError(f"{value!r} is not an amount with a currency")
    return to_decimal(value["amount"], "an amount"), str(value["currency"])


def to_decimal(value: Any, what: str) -> Decimal:
    """The value as a Decimal, keeping its sign and digits (``what`` names it in the error).

    Raises:
        ValueError: the value is not a number.
    """
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise ValueError(f"{value!r} is not {what}") from None


def plain(amount: Decimal) -> Decimal:
    """The amount with at least two decimals, as NetSuite shows money (never fewer digits than given)."""
    exponent = amount.as_tuple().exponent
    return amount.quantize(_CENT) if isinstance(exponent, int) and exponent > -2 else amount
