"""Business rules NetSuite applies when a record is saved: defaults, computed amounts and refusals.

Amounts are ``Decimal`` from end to end: a line's ``amount`` defaults to ``quantity * rate`` rounded
half-up to the cent, totals are sums of rounded lines, and a journal entry whose debits and credits
differ by even a cent is refused.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from concord.sandbox.netsuite import catalog, periods
from concord.sandbox.netsuite.errors import NetSuiteError, user_error
from concord.sandbox.netsuite.fields import CENT, MAX_MAGNITUDE, RecordType, format_datetime
from concord.sandbox.netsuite.payload import Draft
from concord.sandbox.netsuite.store import RecordRepository, StoredRecord

NO_LINES = "You must enter at least one line item for this transaction."
UNBALANCED = "The transaction is not in balance. The total of the debits must equal the total of the credits."


def apply_rules(
    record_type: RecordType,
    draft: Draft,
    existing: StoredRecord | None,
    repo: RecordRepository,
    now: datetime,
    requested: Collection[str],
) -> Draft:
    """Complete and check a draft before it is stored.

    Args:
        record_type: The record type.
        draft: Body and lines after the request was applied.
        existing: The stored record being updated, or ``None`` for a create.
        repo: For looking up referenced records and accounting periods.
        now: The emulator clock's current time.
        requested: Body field names present in the request.

    Returns:
        The draft to store.

    Raises:
        NetSuiteError: 400 ``USER_ERROR`` when a rule refuses the record.
    """
    body, lines = draft.body, draft.lines
    stamp = format_datetime(now)
    body["lastModifiedDate"] = stamp
    body[record_type.created_field] = (
        existing.body.get(record_type.created_field, stamp) if existing else stamp
    )
    handler = _TYPE_RULES.get(record_type.name)
    if handler is not None:
        handler(body, lines, repo, now)
    if record_type.tran_type or record_type.name == "timeBill":
        body.setdefault("tranDate", now.date().isoformat())
    if record_type.tran_type:
        _transaction_defaults(body, repo)
    _check_required(record_type, body, lines)
    if record_type.posting:
        _posting_period(record_type, body, existing, repo, requested)
    return Draft(body, lines)


def check_deletable(record: StoredRecord, repo: RecordRepository) -> None:
    """Refuse to delete a posted transaction of a closed or locked period."""
    if record.type.posting:
        periods.ensure_changeable(record.type.name, record.body.get("postingPeriod"), _periods(repo))


def _periods(repo: RecordRepository) -> dict[str, periods.Period]:
    return {r.id: periods.Period.from_record(r.id, r.body) for r in repo.scan(catalog.ACCOUNTING_PERIOD)}


def _posting_period(
    record_type: RecordType,
    body: dict[str, Any],
    existing: StoredRecord | None,
    repo: RecordRepository,
    requested: Collection[str],
) -> None:
    known = _periods(repo)
    if existing is not None:
        periods.ensure_changeable(record_type.name, existing.body.get("postingPeriod"), known)
    explicit = body.get("postingPeriod") if "postingPeriod" in requested else None
    chosen = periods.resolve_posting_period(record_type.name, body["tranDate"], explicit, known)
    if chosen is None:
        body.pop("postingPeriod", None)
    else:
        body["postingPeriod"] = chosen


def _check_required(
    record_type: RecordType, body: dict[str, Any], lines: dict[str, list[dict[str, Any]]]
) -> None:
    missing = [f.display for f in record_type.fields if f.required and body.get(f.name) in (None, "")]
    if missing:
        raise _please_enter(
            missing, record_type.fields[0].name if not missing else _path_of(record_type, missing)
        )
    for sublist in record_type.sublists:
        items = lines.get(sublist.name, [])
        if sublist.required and not items:
            raise user_error(NO_LINES, error_path=sublist.name)
        for index, line in enumerate(items):
            gaps = [f.display for f in sublist.fields if f.required and line.get(f.name) in (None, "")]
            if gaps:
                raise _please_enter(gaps, f"{sublist.name}.items[{index}]")


def _path_of(record_type: RecordType, labels: list[str]) -> str:
    return next((f.name for f in record_type.fields if f.display == labels[0]), labels[0])


def _please_enter(labels: list[str], path: str) -> NetSuiteError:
    return user_error("Please enter value(s) for: " + ", ".join(labels), error_path=path)


def _transaction_defaults(body: dict[str, Any], repo: RecordRepository) -> None:
    entity_id = body.get("entity")
    if entity_id is not None and "subsidiary" not in body:
        entity = repo.get_any(catalog.ENTITIES, str(entity_id))
        if entity is not None and entity.body.get("subsidiary"):
            body["subsidiary"] = entity.body["subsidiary"]
    body.setdefault("exchangeRate", "1")


def _money(value: Decimal) -> str:
    if abs(value) >= MAX_MAGNITUDE:
        raise user_error(f"The amount {value:f} exceeds the largest amount a transaction can carry.")
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _times(left: str, right: str) -> Decimal:
    # Exact product: inputs are bounded (fields.MAX_MAGNITUDE, 12 decimals), 60 digits always suffice.
    with localcontext() as context:
        context.prec = 60
        return Decimal(left) * Decimal(right)


def _item_lines(
    body: dict[str, Any], lines: dict[str, list[dict[str, Any]]], repo: RecordRepository, _: datetime
) -> None:
    total = Decimal(0)
    for index, line in enumerate(lines.get("item", [])):
        line.setdefault("quantity", "1")
        if "rate" not in line and line.get("item"):
            item = repo.get(catalog.SERVICE_ITEM, str(line["item"]))
            if item is not None and item.body.get("rate") is not None:
                line["rate"] = item.body["rate"]
        if "amount" not in line:
            if "rate" not in line:
                raise _please_enter(["Amount"], f"item.items[{index}]")
            line["amount"] = _money(_times(line["quantity"], line["rate"]))
        total += Decimal(line["amount"])
    body["subtotal"] = body["total"] = _money(total)


def _journal_lines(
    body: dict[str, Any], lines: dict[str, list[dict[str, Any]]], _: RecordRepository, __: datetime
) -> None:
    debits = credits = Decimal(0)
    for index, line in enumerate(lines.get("line", [])):
        debit, credit = line.get("debit"), line.get("credit")
        if (debit is None) == (credit is None):
            raise user_error(
                "Each journal line needs either a debit or a credit amount.",
                error_path=f"line.items[{index}]",
            )
        amount = Decimal(str(debit if debit is not None else credit))
        if amount < 0:
            raise user_error("Journal line amounts cannot be negative.", error_path=f"line.items[{index}]")
        if debit is not None:
            debits += amount
        else:
            credits += amount
    if debits != credits:
        raise user_error(UNBALANCED, error_path="line")


def _expense_lines(
    body: dict[str, Any], lines: dict[str, list[dict[str, Any]]], _: RecordRepository, __: datetime
) -> None:
    total = Decimal(0)
    header_rate = body.get("expenseReportExchangeRate", "1")
    for index, line in enumerate(lines.get("expense", [])):
        line.setdefault("exchangeRate", header_rate)
        if "currency" not in line and body.get("expenseReportCurrency"):
            line["currency"] = body["expenseReportCurrency"]
        if "amount" not in line:
            if "foreignAmount" not in line:
                raise _please_enter(["Amount"], f"expense.items[{index}]")
            line["amount"] = _money(_times(line["foreignAmount"], line["exchangeRate"]))
        line.setdefault("foreignAmount", line["amount"])
        total += Decimal(line["amount"])
    body["total"] = _money(total)


def _time_bill(
    body: dict[str, Any], _: dict[str, list[dict[str, Any]]], repo: RecordRepository, __: datetime
) -> None:
    if "hours" in body and Decimal(body["hours"]) <= 0:
        raise user_error("The duration must be greater than zero.", error_path="hours")
    employee = repo.get(catalog.EMPLOYEE, str(body["employee"])) if body.get("employee") else None
    if employee is not None and "subsidiary" not in body and employee.body.get("subsidiary"):
        body["subsidiary"] = employee.body["subsidiary"]
    project = repo.get(catalog.JOB, str(body["customer"])) if body.get("customer") else None
    if project is not None and project.body.get("entityStatus") == "1":
        # A closed project is no longer offered in the customer:project list of a time entry.
        raise user_error(
            f"You have entered an Invalid Field Value {project.id} for the following field: customer",
            error_path="customer",
        )
    body.setdefault("isBillable", False)


def _customer(
    body: dict[str, Any], _: dict[str, list[dict[str, Any]]], __: RecordRepository, ___: datetime
) -> None:
    if body.get("isPerson"):
        missing = [
            label
            for name, label in (("firstName", "First Name"), ("lastName", "Last Name"))
            if not body.get(name)
        ]
        if missing:
            raise _please_enter(missing, "firstName")
        body.setdefault("entityId", f"{body['firstName']} {body['lastName']}")
    elif not body.get("companyName"):
        raise _please_enter(["Company Name"], "companyName")
    body.setdefault("entityId", body.get("companyName"))


def _job(
    body: dict[str, Any], _: dict[str, list[dict[str, Any]]], repo: RecordRepository, __: datetime
) -> None:
    parent = repo.get(catalog.CUSTOMER, str(body["parent"])) if body.get("parent") else None
    if parent is not None and "subsidiary" not in body and parent.body.get("subsidiary"):
        body["subsidiary"] = parent.body["subsidiary"]
    if body.get("companyName"):
        body.setdefault("entityId", body["companyName"])
    start = body.get("startDate")
    for name in ("projectedEndDate", "endDate"):
        if start and body.get(name) and body[name] < start:
            raise user_error(
                "The end date of the project must be on or after its start date.", error_path=name
            )


def _employee(
    body: dict[str, Any], _: dict[str, list[dict[str, Any]]], __: RecordRepository, ___: datetime
) -> None:
    if body.get("firstName") and body.get("lastName"):
        body.setdefault("entityId", f"{body['firstName']} {body['lastName']}")


def _accounting_period(
    body: dict[str, Any], _: dict[str, list[dict[str, Any]]], __: RecordRepository, now: datetime
) -> None:
    if body.get("startDate") and body.get("endDate") and body["endDate"] < body["startDate"]:
        raise user_error(
            "The end date of the period must be on or after its start date.", error_path="endDate"
        )
    if body.get("closed"):
        body.setdefault("closedOnDate", now.date().isoformat())
        body["allLocked"] = body["arLocked"] = body["apLocked"] = True
    else:
        body.pop("closedOnDate", None)


_TYPE_RULES = {
    "salesOrder": _item_lines,
    "invoice": _item_lines,
    "journalEntry": _journal_lines,
    "expenseReport": _expense_lines,
    "timeBill": _time_bill,
    "customer": _customer,
    "job": _job,
    "employee": _employee,
    "accountingPeriod": _accounting_period,
}
