"""Code the NetSuite mapping files call for revenue recognised in the ledger (``journalEntry.RevenueEvent``).

A revenue event is a journal entry of two lines: the revenue account and the account it is recognised
against (unbilled receivables, contract assets, deferred revenue). The canonical event carries its lines
with the *role* of each account (``services_revenue``, ``deferred_revenue``...) as the revenue flows'
configuration names them; the reference table ``netsuite_account_id`` maps each role to the internal id of
the firm's NetSuite account, the same table time postings use for ``labour_cost`` and ``accrued_labour``.
A reversal (negative revenue) arrives with its sides already swapped, so every line carries a positive
amount, as NetSuite requires.

Drill-back: each line names the contract (``custcol_concord_contract``, Concord's global id) and the period
(``custcol_concord_period``, ``2026-05-01/2026-05-31``); the project's NetSuite job is the line's entity
when the event has a project; the memo says the same in words. The custom fields
(``custbody_concord_*``, ``custcol_concord_*``) must exist in the account: Concord's SuiteCloud
customization creates them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from concord.connectors.netsuite.mappings.ledger import ACCOUNTS, CURRENCIES, job_id, money, plain
from concord.mapping.context import MappingContext

__all__ = ["revenue_currency", "revenue_lines", "revenue_memo"]

_BASES = {
    "as_delivered": "as delivered",
    "milestone_acceptance": "on a milestone",
    "percent_complete": "by percentage of completion",
    "straight_line": "straight-line",
}


def _period(record: Mapping[str, Any]) -> str:
    return f"{record.get('period_start')}/{record.get('period_end')}"


def revenue_memo(basis: Any, context: MappingContext, record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The journal's memo, in words: what was recognised, on which contract, for which period; and the
    basis in a custom body field for reports."""
    how = _BASES.get(str(basis), str(basis).replace("_", " "))
    amount = money(record.get("amount"))[0]
    what = "Reversal of revenue" if amount < 0 else "Revenue"
    parts = [
        f"{what} recognised {how}",
        f"contract {record.get('contract_id')}",
        f"{record.get('period_start')} to {record.get('period_end')}",
    ]
    if record.get("project_id"):
        parts.append(f"project {record['project_id']}")
    return {"memo": ", ".join(parts), "custbody_concord_revenue_basis": str(basis)}


def revenue_currency(amount: Any, context: MappingContext, record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The journal's currency (that of the revenue), and the signed revenue in a custom body field.

    Raises:
        LookupError: the reference table has no NetSuite currency for it.
    """
    value, currency = money(record.get("amount"))
    found = context.reference(CURRENCIES, currency)
    if found is None:
        raise LookupError(f"the reference table '{CURRENCIES}' has no '{currency}' entry; add it")
    return {"currency": {"id": str(found)}, "custbody_concord_revenue_amount": plain(value)}


def revenue_lines(lines: Any, context: MappingContext, record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The journal's lines, one per canonical journal line, with its account's NetSuite id.

    Raises:
        LookupError: an account role is missing from ``netsuite_account_id``, or the project is not in
            NetSuite.
        ValueError: the lines are not a revenue event's journal lines.
    """
    if not isinstance(lines, Sequence) or isinstance(lines, str) or not lines:
        raise ValueError("a revenue event needs its journal lines (a revenue of zero is not sent)")
    job = _job(context, record.get("project_id"))
    period = _period(record)
    items = []
    for line in lines:
        if not isinstance(line, Mapping) or line.get("side") not in ("debit", "credit"):
            raise ValueError(f"{line!r} is not a journal line")
        amount = money(line.get("amount"))[0]
        item: dict[str, Any] = {
            "account": {"id": _account(context, str(line.get("account")))},
            str(line["side"]): plain(amount),
            "memo": f"Revenue of contract {record.get('contract_id')}, {period}",
            "custcol_concord_contract": str(record.get("contract_id")),
            "custcol_concord_period": period,
        }
        if job is not None:
            item["entity"] = {"id": job}
        items.append(item)
    return {"line": {"items": items}}


def _account(context: MappingContext, role: str) -> str:
    found = context.reference(ACCOUNTS, role)
    if found is None:
        raise LookupError(
            f"the reference table '{ACCOUNTS}' has no '{role}' entry; add the internal id of the NetSuite "
            f"account revenue is recognised on as {role.replace('_', ' ')}"
        )
    return str(found)


def _job(context: MappingContext, project_id: Any) -> str | None:
    """The project's NetSuite job, when the revenue names a project."""
    return job_id(context, project_id, "") if project_id else None
