"""Canonical records and facts for the business-rule tests: one firm, one project, one consultant.

Builders take overrides for whatever a test is about; everything else is valid and consistent (the entry is
on the project, by the resource, inside the assignment, in an open period).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from concord.domain.findings import Systems
from concord.domain.hours import Hours
from concord.domain.ids import new_id
from concord.domain.keys import Stamp
from concord.domain.money import Money
from concord.domain.objects import (
    Assignment,
    BillingBasis,
    BillingFrequency,
    BillingPlan,
    BillingPlanLine,
    Contract,
    ExpenseItem,
    ExpenseStatus,
    LegalEntity,
    Milestone,
    MilestoneStatus,
    PricingModel,
    Project,
    ProjectStatus,
    RecognitionBasis,
    Resource,
    RevenuePlan,
    TimeEntry,
)
from concord.domain.periods import AccountingCalendar, AccountingPeriod, add_months
from concord.domain.posting_lines import PostableEntry, posting_dimensions

from .samples import (
    CONTRACT_ID,
    CUSTOMER_ID,
    MANAGER_ID,
    PROJECT_ID,
    RESOURCE_ID,
    TRACE_ID,
    contract_fields,
    envelope,
    time_entry_fields,
    usd,
)

SYSTEMS = Systems(
    psa="kantata",
    psa_name="Kantata",
    erp="netsuite",
    erp_name="NetSuite",
    crm="salesforce",
    crm_name="Salesforce",
)
STAMP = Stamp(TRACE_ID, datetime(2026, 4, 2, 6, 0, tzinfo=UTC))


def calendar(closed_through: int = 0, year: int = 2026) -> AccountingCalendar:
    """Monthly periods of `year` named "Mar 2026"; months 1..closed_through are closed."""
    periods = []
    for month in range(1, 13):
        start = date(year, month, 1)
        end = add_months(start, 1) - timedelta(days=1)
        periods.append(AccountingPeriod(start.strftime("%b %Y"), start, end, closed=month <= closed_through))
    return AccountingCalendar(periods)


def legal_entity() -> LegalEntity:
    return LegalEntity(
        **envelope("netsuite"),
        code="US01",
        name="Concord Consulting Inc.",
        country="US",
        functional_currency="USD",
        erp_subsidiary_id="3",
    )


def project(**overrides: Any) -> Project:
    fields: dict[str, Any] = envelope() | {
        "global_id": PROJECT_ID,
        "system_ids": {"kantata": "P-1042", "netsuite": "J-77"},
        "name": "Globex ERP rollout",
        "contract_id": CONTRACT_ID,
        "customer_id": CUSTOMER_ID,
        "legal_entity_code": "US01",
        "status": ProjectStatus.ACTIVE,
        "start_date": date(2026, 1, 1),
        "end_date": date(2026, 12, 31),
        "currency": "USD",
        "project_manager_id": MANAGER_ID,
        "service_line": "Cloud ERP",
    }
    return Project(**(fields | overrides))


def resource(**overrides: Any) -> Resource:
    fields: dict[str, Any] = envelope("hr") | {
        "global_id": RESOURCE_ID,
        "employee_id": "E-1187",
        "name": "Ada Byron",
        "role": "Senior Consultant",
        "home_legal_entity_code": "US01",
        "cost_center": "CC-100",
        "cost_rate": usd("62.50"),
        "capacity_hours_per_week": Hours(40),
        "manager_id": MANAGER_ID,
    }
    return Resource(**(fields | overrides))


def assignment(**overrides: Any) -> Assignment:
    fields: dict[str, Any] = envelope() | {
        "project_id": PROJECT_ID,
        "resource_id": RESOURCE_ID,
        "role": "Senior Consultant",
        "hours_per_week": Hours(40),
        "start_date": date(2026, 1, 1),
        "end_date": date(2026, 12, 31),
        "bill_rate": usd("150"),
        "cost_rate": usd("62.50"),
    }
    return Assignment(**(fields | overrides))


def entry(**overrides: Any) -> TimeEntry:
    """An approved billable entry, TE-20931: 7.5 h on 2026-03-12 at 150 USD (cost 62.50)."""
    fields = time_entry_fields(system_ids={"kantata": "TE-20931"}) | {"global_id": new_id()}
    return TimeEntry(**(fields | overrides))


def expense(**overrides: Any) -> ExpenseItem:
    fields: dict[str, Any] = envelope() | {
        "system_ids": {"kantata": "EX-553"},
        "project_id": PROJECT_ID,
        "resource_id": RESOURCE_ID,
        "expense_date": date(2026, 3, 12),
        "category": "Travel",
        "amount": usd("412.30"),
        "billable": True,
        "markup": Decimal("0.10"),
        "receipt_reference": "R-553",
        "status": ExpenseStatus.APPROVED,
        "approver_id": MANAGER_ID,
    }
    return ExpenseItem(**(fields | overrides))


def tm_contract(**overrides: Any) -> Contract:
    """A time-and-materials contract, billed monthly, recognised as delivered."""
    fields = contract_fields(
        global_id=CONTRACT_ID,
        pricing_model=PricingModel.TIME_AND_MATERIALS,
        total_value=usd("100000"),
        billing_plan=BillingPlan(
            basis=BillingBasis.TIME_AND_MATERIALS_PERIOD, frequency=BillingFrequency.MONTHLY
        ),
        revenue_plan=RevenuePlan(basis=RecognitionBasis.AS_DELIVERED),
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    return Contract(**(fields | overrides))


def fixed_fee_contract(**overrides: Any) -> Contract:
    """SOW-1042: fixed fee of USD 100,000, billed on 'Design signed off' (40,000) and 'Go-live' (60,000)."""
    return Contract(**(contract_fields(global_id=CONTRACT_ID) | overrides))


def subscription_contract(**overrides: Any) -> Contract:
    """A managed service of USD 12,000 over 2026, billed monthly, recognised straight-line."""
    fields = contract_fields(
        global_id=CONTRACT_ID,
        pricing_model=PricingModel.SUBSCRIPTION,
        total_value=usd("12000"),
        billing_plan=BillingPlan(basis=BillingBasis.SUBSCRIPTION_PERIOD, frequency=BillingFrequency.MONTHLY),
        revenue_plan=RevenuePlan(basis=RecognitionBasis.STRAIGHT_LINE),
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    return Contract(**(fields | overrides))


def milestone(name: str = "Design signed off", **overrides: Any) -> Milestone:
    fields: dict[str, Any] = envelope() | {
        "project_id": PROJECT_ID,
        "name": name,
        "amount": usd("40000"),
        "due_date": date(2026, 5, 31),
        "status": MilestoneStatus.COMPLETE,
        "completed_on": date(2026, 5, 28),
    }
    return Milestone(**(fields | overrides))


def postable(*entries: TimeEntry, posting_date: date | None = None) -> list[PostableEntry]:
    """The entries with the standard project's dimensions, posted on their work dates."""
    dims = {
        billable: posting_dimensions(entry(billable=billable), project(), resource(), legal_entity())
        for billable in (True, False)
    }
    return [PostableEntry(e, dims[e.billable], posting_date or e.work_date) for e in entries]


def money_plan(*amounts: str) -> BillingPlan:
    """A milestone billing plan with one line per amount, named M1, M2 ..."""
    lines = tuple(
        BillingPlanLine(description=f"M{i}", amount=usd(a), milestone_name=f"M{i}")
        for i, a in enumerate(amounts, start=1)
    )
    return BillingPlan(basis=BillingBasis.MILESTONE, lines=lines)


__all__ = [
    "STAMP",
    "SYSTEMS",
    "Money",
    "assignment",
    "calendar",
    "entry",
    "expense",
    "fixed_fee_contract",
    "legal_entity",
    "milestone",
    "money_plan",
    "postable",
    "project",
    "resource",
    "subscription_contract",
    "tm_contract",
]
