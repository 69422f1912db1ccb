"""What a month's invoices must be, worked out from the source systems' own records, and how the invoices
NetSuite holds differ from it.

The expectations are computed here, from Kantata's time entries, expenses and milestones and from each
contract's terms as NetSuite holds them (its sales order and billing schedule), by rules of their own:
billing periods counted from the contract's start, hours to the hundredth, each line rounded half up to
the cent. Nothing expected is taken from Concord. Its store is read for two things only: which Kantata
record an invoice line's drill-back id names (the cross-reference), and the exceptions it opened.

What must hold, per contract (each rule returns readable problems; none means it holds):

- time and materials (``time_and_materials_problems``): each invoice bills one of the contract's billing
  periods, once, after it ended; each time line is one approved billable entry of the contract's project,
  dated in or before the period, approved before the invoice was made, at its hours and rate (expense lines
  likewise, at their amount); no entry is billed twice; and every approved billable entry and expense
  dated in a period that ended before the project's last change is billed, unless it was approved after
  the contract's last invoice (it waits for the next period's). So Σ invoiced = Σ approved billable
  hours x rate (+ expenses) of the billed periods, to the cent. With a not-to-exceed cap, the invoices stop
  at the cap and an exception reports the rest;
- fixed fee (``milestone_problems``): one invoice per completed milestone of the schedule, for its fee;
- subscription (``subscription_problems``): one invoice per period of the schedule, for its fee, once due
  (begun when fees are billed in advance, else ended), the periods in order from the first; and every
  period due when the contract was made is invoiced once the ERP's periods changed after that (they run
  the subscription billing).
"""

from __future__ import annotations

import calendar
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml
from month_platforms import Included, Platforms

from concord.demo.sandbox_link import CURRENCIES as CURRENCY_IDS

CENT = Decimal("0.01")
CURRENCIES = {netsuite_id: code for code, netsuite_id in CURRENCY_IDS.items()}
"""NetSuite currency internal id → ISO code (the sandbox account's defaults)."""
DRILL_BACK = {
    "custcol_concord_time_entry": "time",
    "custcol_concord_expense": "expense",
    "custcol_concord_milestone": "milestone",
    "custcol_concord_contract": "subscription_fee",
}
"""NetSuite invoice line column → what the line bills (the column holds the ids of what it bills)."""
SUBMISSIONS = "active_submission,recent_submission"


def cents(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def day_of(value: Any) -> date:
    """A date as the platforms show it: ISO (``2026-12-01``, or a date and time) or NetSuite's M/D/YYYY."""
    text = str(value).strip()
    if "/" in text:
        month, day, year = (int(part) for part in text.split(" ")[0].split("/"))
        return date(year, month, day)
    return date.fromisoformat(text[:10])


def moment_of(value: Any) -> datetime:
    """An instant as the platforms show it: ISO, with or without a zone, or NetSuite's M/D/YYYY h:mm am."""
    text = str(value).strip()
    if "/" in text:
        return datetime.strptime(text.upper(), "%m/%d/%Y %I:%M %p").replace(tzinfo=UTC)
    found = datetime.fromisoformat(text)
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def add_months(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


Period = tuple[date, date]


@dataclass(frozen=True)
class Fee:
    """One scheduled amount of a contract's billing schedule."""

    amount: Decimal
    milestone: str | None


@dataclass(frozen=True)
class Contract:
    """A contract as NetSuite holds it (a sales order and its billing schedule), with its PSA project."""

    order_id: str
    number: str
    pricing: str
    currency: str
    start: date
    end: date | None
    frequency: str | None
    fees: tuple[Fee, ...]
    cap: Decimal | None
    created: datetime
    workspace: str

    def periods(self, until: date) -> list[Period]:
        """The billing periods counted from the start (the last cut at the end) that begin by ``until``."""
        found: list[Period] = []
        while self.frequency is not None:
            first, after = self._start(len(found)), self._start(len(found) + 1)
            if first > until or (self.end is not None and first > self.end):
                break
            last = after - timedelta(days=1)
            found.append((first, last if self.end is None else min(last, self.end)))
        return found

    def _start(self, index: int) -> date:
        if self.frequency == "WEEKLY":
            return self.start + timedelta(weeks=index)
        months = {"MONTHLY": 1, "QUARTERLY": 3, "ANNUALLY": 12}[str(self.frequency)]
        return add_months(self.start, months * index)


@dataclass(frozen=True)
class Line:
    """One line of a NetSuite invoice: what it bills (``kind``) and the ids its drill-back names."""

    kind: str
    quantity: Decimal | None
    rate: Decimal | None
    amount: Decimal
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Invoice:
    """A NetSuite invoice Concord created, with the period it bills and its lines."""

    invoice_id: str
    order_id: str
    basis: str
    period: Period
    total: Decimal
    created: datetime
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Work:
    """An approved billable Kantata time entry or expense, valued as billing must value it."""

    day: date
    amount: Decimal
    currency: str
    approved_at: datetime
    hours: Decimal | None = None
    rate: Decimal | None = None


@dataclass(frozen=True)
class ProjectWork:
    """A project's approved billable work in Kantata (Kantata id → valued), and its last change."""

    time: dict[str, Work]
    expenses: dict[str, Work]
    last_change: date | None


class Month:
    """A finished month's contracts, invoices and source records, read from the platforms."""

    def __init__(self, folder: Path) -> None:
        self.platforms = Platforms(folder / ".sandbox")
        policy = yaml.safe_load((folder / "work" / "billing.yaml").read_text())
        self.in_advance = bool(policy.get("subscription_in_advance"))
        self.contracts = self._contracts()
        self.invoices = self._invoices()
        with sqlite3.connect(folder / "work" / "concord.db") as db:
            rows = db.execute("SELECT system, object_type, system_id, global_id FROM xref").fetchall()
            self.exceptions: list[tuple[str, str]] = db.execute(
                "SELECT message, object_ids FROM exceptions"
            ).fetchall()
        self.kantata_ids = {(kind, gid): sid for system, kind, sid, gid in rows if system == "kantata"}

    # -- reading ------------------------------------------------------------------------------------------

    def _contracts(self) -> list[Contract]:
        deals = self.platforms.soql(
            "SELECT ERP_Contract_Id__c, PSA_Project_Id__c FROM Opportunity WHERE ERP_Contract_Id__c != null"
        )
        workspaces = {str(d["ERP_Contract_Id__c"]): str(d["PSA_Project_Id__c"]) for d in deals}
        found = []
        for row in self.platforms.suiteql("SELECT * FROM transaction WHERE type = 'SalesOrd'"):
            order = self.platforms.netsuite_record("salesOrder", str(row["id"]))
            reference = (order.get("billingSchedule") or {}).get("id")
            schedule = self.platforms.netsuite_record("billingSchedule", str(reference)) if reference else {}
            recurrences = (schedule.get("recurrence") or {}).get("items") or []
            cap = row.get("custbody_concord_not_to_exceed")
            frequency = (schedule.get("frequency") or {}).get("id")
            found.append(
                Contract(
                    order_id=str(row["id"]),
                    number=str(row["tranid"]),
                    pricing=str(row["custbody_concord_pricing_model"]),
                    currency=CURRENCIES[str(row["currency"])],
                    start=day_of(order["startDate"]),
                    end=day_of(order["endDate"]) if order.get("endDate") else None,
                    frequency=str(frequency).upper() if frequency else None,
                    fees=tuple(Fee(cents(r["amount"]), r.get("milestone") or None) for r in recurrences),
                    cap=cents(cap) if cap not in (None, "") else None,
                    created=moment_of(row["createddate"]),
                    workspace=workspaces[str(row["id"])],
                )
            )
        return found

    def _invoices(self) -> list[Invoice]:
        rows = self.platforms.suiteql("SELECT * FROM transaction WHERE type = 'CustInvc'")
        ids = {str(row["id"]) for row in rows}
        lines: dict[str, list[Line]] = {}
        for line in self.platforms.suiteql("SELECT * FROM transactionline"):
            if str(line.get("transaction")) in ids:
                lines.setdefault(str(line["transaction"]), []).append(_line(line))
        return [
            Invoice(
                invoice_id=str(row["id"]),
                order_id=str(row["createdfrom"]),
                basis=str(row["custbody_concord_billing_basis"]),
                period=(
                    day_of(row["custbody_concord_period_start"]),
                    day_of(row["custbody_concord_period_end"]),
                ),
                total=cents(row["foreigntotal"]),
                created=moment_of(row["createddate"]),
                lines=tuple(lines.get(str(row["id"]), [])),
            )
            for row in rows
        ]

    def of(self, contract: Contract, basis: str) -> list[Invoice]:
        """The contract's invoices on ``basis``, in period order."""
        mine = [i for i in self.invoices if i.order_id == contract.order_id and i.basis == basis]
        return sorted(mine, key=lambda invoice: invoice.period)

    def work(self, workspace: str) -> ProjectWork:
        """The project's approved billable time and expenses, and the moment of its last change in Kantata
        among the records billing follows (time, expenses, milestones)."""
        entries, entry_links = self.platforms.kantata(
            "time_entries", workspace_id=workspace, include=SUBMISSIONS
        )
        spent, spent_links = self.platforms.kantata("expenses", workspace_id=workspace, include=SUBMISSIONS)
        milestones = self.milestones(workspace).values()
        changed = [moment_of(r["updated_at"]) for r in [*entries, *spent, *milestones]]
        time = {}
        for entry in entries:
            approved_at = _approved_at(entry, entry_links, "timesheet_submissions")
            if approved_at is None or not entry.get("billable") or entry.get("rate_in_cents") is None:
                continue
            hours = (Decimal(int(entry["time_in_minutes"])) / 60).quantize(CENT, rounding=ROUND_HALF_UP)
            rate = Decimal(int(entry["rate_in_cents"])) / 100
            day = day_of(entry["date_performed"])
            time[str(entry["id"])] = Work(
                day, cents(hours * rate), str(entry["currency"]), approved_at, hours, rate
            )
        expenses = {}
        for expense in spent:
            approved_at = _approved_at(expense, spent_links, "expense_report_submissions")
            if approved_at is None or not expense.get("is_billable", expense.get("billable")):
                continue
            amount = cents(Decimal(int(expense["amount_in_cents"])) / 100)
            expenses[str(expense["id"])] = Work(
                day_of(expense["date"]), amount, str(expense["currency"]), approved_at
            )
        return ProjectWork(time, expenses, max(changed).date() if changed else None)

    def milestones(self, workspace: str) -> dict[str, dict[str, Any]]:
        """The project's milestones in Kantata, by id."""
        stories, _ = self.platforms.kantata("stories", workspace_id=workspace)
        return {str(s["id"]): s for s in stories if s.get("story_type") == "milestone"}

    def last_period_change(self) -> datetime | None:
        """When the ERP's accounting periods last changed (what runs the subscription billing)."""
        rows = self.platforms.suiteql("SELECT lastmodifieddate FROM accountingperiod")
        stamps = [moment_of(r["lastmodifieddate"]) for r in rows if r.get("lastmodifieddate")]
        return max(stamps) if stamps else None

    def reported(self, kantata_id: str, words: str) -> bool:
        """Whether Concord opened an exception about the Kantata record that says ``words``."""
        return any(words in m and json.loads(ids).get("kantata") == kantata_id for m, ids in self.exceptions)

    # -- what must hold -----------------------------------------------------------------------------------

    def time_and_materials_problems(self, contract: Contract) -> list[str]:
        invoices = self.of(contract, "time_and_materials_period")
        work = self.work(contract.workspace)
        problems = _period_problems(contract, invoices, billed_after_the_end=True)
        if contract.cap is not None:
            return problems + self._capped_problems(contract, invoices, work)
        billed: Counter[tuple[str, str]] = Counter()
        for invoice in invoices:
            for line in invoice.lines:
                problems += self._line_problems(contract, invoice, line, work, billed)
        problems += [
            f"{contract.number}: {kind} {kid} billed {n} times" for (kind, kid), n in billed.items() if n > 1
        ]
        # What is due: work dated in a period that ended before the project's last change (a billing run
        # follows every change), unless approved after the contract's last invoice (the next period's).
        last_change = work.last_change or contract.start
        ended = [end for _, end in contract.periods(last_change) if end < last_change]
        through = max([*(i.period[1] for i in invoices), *ended], default=None)
        last_invoice = max((i.created for i in invoices), default=None)
        for kind, records in (("TimeEntry", work.time), ("ExpenseItem", work.expenses)):
            for kid, item in records.items():
                due = through is not None and item.day <= through and item.currency == contract.currency
                waits = last_invoice is not None and item.approved_at >= last_invoice
                if due and not waits and not billed[(kind, kid)]:
                    problems.append(
                        f"{contract.number}: {kind} {kid} of {item.day} ({item.amount}, approved "
                        f"{item.approved_at:%Y-%m-%d %H:%M}) is due by {through} but not invoiced"
                    )
        return problems

    def _line_problems(
        self,
        contract: Contract,
        invoice: Invoice,
        line: Line,
        work: ProjectWork,
        billed: Counter[tuple[str, str]],
    ) -> list[str]:
        kinds = {"time": ("TimeEntry", work.time), "expense": ("ExpenseItem", work.expenses)}
        label = f"{contract.number}: invoice {invoice.invoice_id}"
        if line.kind not in kinds or len(line.sources) != 1:
            return [f"{label} has a {line.kind} line for {line.sources}"]
        kind, records = kinds[line.kind]
        kid = self.kantata_ids.get((kind, line.sources[0]))
        if kid is None:
            return [f"{label} bills {kind} {line.sources[0]}, which is not a Kantata record"]
        billed[(kind, kid)] += 1
        item = records.get(kid)
        label = f"{label}, line for {kind} {kid}"
        differs = item is None or (
            line.kind == "time" and (line.quantity, line.rate) != (item.hours, item.rate)
        )
        if differs:  # changed after it was invoiced: Concord says so rather than bill it again
            if self.reported(kid, "changed after it was invoiced"):
                return []
            return [f"{label}: {line.quantity} x {line.rate} = {line.amount}, but Kantata has {item}"]
        assert item is not None
        problems = []
        if line.amount != item.amount:
            problems.append(f"{label}: {line.amount}, but {item.hours} h at {item.rate} is {item.amount}")
        if item.day > invoice.period[1]:
            problems.append(f"{label}: dated {item.day}, after the period billed ({invoice.period[1]})")
        if item.approved_at > invoice.created:
            problems.append(f"{label}: approved {item.approved_at}, after the invoice was made")
        return problems

    def _capped_problems(self, contract: Contract, invoices: list[Invoice], work: ProjectWork) -> list[str]:
        assert contract.cap is not None
        invoiced = sum((i.total for i in invoices), Decimal(0))
        if invoiced > contract.cap:
            return [f"{contract.number}: {invoiced} invoiced, over its not-to-exceed cap of {contract.cap}"]
        through = max((i.period[1] for i in invoices), default=None)
        items = [*work.time.values(), *work.expenses.values()]
        due = sum((w.amount for w in items if through is not None and w.day <= through), Decimal(0))
        if due <= contract.cap:
            return []
        over = [m for m, _ in self.exceptions if contract.number in m and "not-to-exceed cap" in m]
        problems = (
            [] if over else [f"{contract.number}: {due - contract.cap} over its cap, no exception says so"]
        )
        if invoiced != contract.cap:
            problems.append(f"{contract.number}: {due} due over a cap of {contract.cap}, {invoiced} invoiced")
        return problems

    def milestone_problems(self, contract: Contract) -> list[str]:
        fees = {fee.milestone.casefold(): fee.amount for fee in contract.fees if fee.milestone}
        milestones = self.milestones(contract.workspace)
        problems = []
        billed: Counter[str] = Counter()
        for invoice in self.of(contract, "milestone"):
            sources = [s for line in invoice.lines if line.kind == "milestone" for s in line.sources]
            kid = self.kantata_ids.get(("Milestone", sources[0])) if len(sources) == 1 else None
            story = milestones.get(kid or "")
            fee = fees.get(str(story["title"]).casefold()) if story else None
            if story is None or story.get("state") != "completed" or invoice.total != fee:
                what = f"'{story['title']}' ({story.get('state')}, fee {fee})" if story else "no milestone"
                problems.append(
                    f"{contract.number}: invoice {invoice.invoice_id} of {invoice.total} bills {what}"
                )
            billed[str(kid)] += 1
        for kid, story in milestones.items():
            fee = fees.get(str(story["title"]).casefold())
            if story.get("state") != "completed" or fee is None:
                continue  # not complete, or a delivery checkpoint the schedule does not bill
            amount = story.get("budget_estimate_in_cents")
            agrees = amount in (None, 0) or Decimal(int(amount)) / 100 == fee  # else a conflict, not billed
            if billed[kid] != (1 if agrees else 0):
                problems.append(
                    f"{contract.number}: completed milestone '{story['title']}' (fee {fee}, "
                    f"{amount} cents in Kantata) is invoiced {billed[kid]} times"
                )
        return problems

    def subscription_problems(self, contract: Contract, periods_changed: datetime | None) -> list[str]:
        invoices = self.of(contract, "subscription_period")
        schedule = contract.periods(contract.end or date.max)[: len(contract.fees)]
        problems = _period_problems(contract, invoices, billed_after_the_end=not self.in_advance)
        for invoice in invoices:
            if invoice.period not in schedule:
                continue  # said by _period_problems
            fee = contract.fees[schedule.index(invoice.period)].amount
            if invoice.total != fee:
                problems.append(
                    f"{contract.number}: invoice {invoice.invoice_id} of {invoice.total}, fee {fee}"
                )
            if self._due(invoice.period) > invoice.created.date():
                problems.append(
                    f"{contract.number}: invoice {invoice.invoice_id} made before {invoice.period} was due"
                )
        invoiced = [invoice.period for invoice in invoices]
        if invoiced != schedule[: len(invoiced)]:
            problems.append(f"{contract.number}: periods invoiced {invoiced}, not the schedule's first ones")
        if periods_changed is not None and contract.created < periods_changed:
            due = [p for p in schedule if self._due(p) <= contract.created.date()]
            if len(invoiced) < len(due):
                problems.append(
                    f"{contract.number}: {len(due)} periods due when it was made on "
                    f"{contract.created.date()}, {len(invoiced)} invoiced"
                )
        return problems

    def _due(self, period: Period) -> date:
        return period[0] if self.in_advance else period[1] + timedelta(days=1)


def _line(row: dict[str, Any]) -> Line:
    kinds = [(kind, row[column]) for column, kind in DRILL_BACK.items() if row.get(column)]
    kind, sources = kinds[0] if kinds else ("other", "")
    return Line(
        kind=kind,
        quantity=Decimal(str(row["quantity"])) if row.get("quantity") is not None else None,
        rate=Decimal(str(row["rate"])) if row.get("rate") is not None else None,
        amount=cents(row["amount"]),
        sources=tuple(source for source in str(sources).split(",") if source),
    )


def _period_problems(contract: Contract, invoices: list[Invoice], *, billed_after_the_end: bool) -> list[str]:
    """Each invoice bills one of the contract's periods, once, (if so) after it ended, at its lines' sum."""
    problems = []
    periods = set(contract.periods(max((i.period[0] for i in invoices), default=contract.start)))
    for invoice in invoices:
        label = (
            f"{contract.number}: invoice {invoice.invoice_id} for {invoice.period[0]} to {invoice.period[1]}"
        )
        if invoice.period not in periods:
            problems.append(f"{label} bills none of the contract's periods")
        if billed_after_the_end and invoice.period[1] >= invoice.created.date():
            problems.append(f"{label} was made on {invoice.created.date()}, before the period ended")
        if sum((line.amount for line in invoice.lines), Decimal(0)) != invoice.total:
            problems.append(f"{label} totals {invoice.total}, not the sum of its lines")
    doubled = [period for period, n in Counter(i.period for i in invoices).items() if n > 1]
    return problems + [f"{contract.number}: {period} is invoiced more than once" for period in doubled]


def _approved_at(record: dict[str, Any], included: Included, submissions: str) -> datetime | None:
    """When a time entry or expense was approved in Kantata (None unless it is approved now)."""
    active = included.get(submissions, {}).get(str(record.get("active_submission_id")))
    if active is not None:
        approved = active.get("status") == "approved"
        return moment_of(active["current_resolution_created_at_date"]) if approved else None
    return moment_of(record["updated_at"]) if record.get("approved") else None
