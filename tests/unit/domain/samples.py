"""Valid canonical records of every kind, built the way a connector would, for the domain tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from concord.domain.hours import Hours
from concord.domain.ids import new_id
from concord.domain.money import Money
from concord.domain.objects import (
    AccountingPeriod,
    Address,
    ApprovalState,
    Assignment,
    BillingBasis,
    BillingPlan,
    BillingPlanLine,
    CanonicalRecord,
    ChangeOrder,
    Contact,
    ContactRole,
    Contract,
    Customer,
    ExpenseItem,
    ExpensePosting,
    ExpenseStatus,
    InvoiceEvent,
    InvoiceLine,
    InvoiceLineKind,
    JournalLine,
    JournalSide,
    LegalEntity,
    Milestone,
    MilestoneStatus,
    Opportunity,
    OpportunityLineItem,
    PlannedMilestone,
    PostedEntry,
    PricingModel,
    Project,
    ProjectBudget,
    ProjectStatus,
    PurchaseCommitment,
    RateCard,
    RateCardEntry,
    RecognitionBasis,
    Resource,
    RevenueEvent,
    RevenuePlan,
    ServiceOffering,
    TaxProfile,
    TimeEntry,
    TimeEntryStatus,
    TimePosting,
)

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CUSTOMER_ID = new_id()
CONTRACT_ID = new_id()
PROJECT_ID = new_id()
RESOURCE_ID = new_id()
MANAGER_ID = new_id()


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def envelope(system: str = "kantata", **overrides: Any) -> dict[str, Any]:
    """The envelope fields of a record read from `system`."""
    fields: dict[str, Any] = {
        "system_ids": {system: "1042"},
        "source_system": system,
        "source_changed_at": datetime(2026, 3, 12, 17, 30, tzinfo=UTC),
        "source_version": "7",
        "correlation_id": TRACE_ID,
    }
    return fields | overrides


def time_entry_fields(**overrides: Any) -> dict[str, Any]:
    """Every field of a valid approved billable time entry; override what a test is about."""
    fields: dict[str, Any] = envelope() | {
        "project_id": PROJECT_ID,
        "resource_id": RESOURCE_ID,
        "work_date": date(2026, 3, 12),
        "hours": Hours("7.5"),
        "billable": True,
        "status": TimeEntryStatus.APPROVED,
        "bill_rate": usd("150"),
        "cost_rate": usd("62.5"),
        "approver_id": MANAGER_ID,
        "approved_at": datetime(2026, 3, 13, 9, 0, tzinfo=UTC),
    }
    return fields | overrides


def contract_fields(**overrides: Any) -> dict[str, Any]:
    """Every field of a valid fixed-fee contract with a two-milestone billing plan."""
    fields: dict[str, Any] = envelope("netsuite") | {
        "number": "SOW-1042",
        "name": "Globex ERP rollout",
        "customer_id": CUSTOMER_ID,
        "legal_entity_code": "US01",
        "pricing_model": PricingModel.FIXED_FEE,
        "currency": "USD",
        "total_value": usd("100000"),
        "start_date": date(2026, 4, 1),
        "end_date": date(2026, 9, 30),
        "billing_plan": BillingPlan(
            basis=BillingBasis.MILESTONE,
            lines=(
                BillingPlanLine(
                    description="Design", amount=usd("40000"), milestone_name="Design signed off"
                ),
                BillingPlanLine(description="Go-live", amount=usd("60000"), milestone_name="Go-live"),
            ),
        ),
        "revenue_plan": RevenuePlan(basis=RecognitionBasis.MILESTONE_ACCEPTANCE),
    }
    return fields | overrides


def invoice_fields(**overrides: Any) -> dict[str, Any]:
    """Every field of a valid T&M invoice event of two time lines."""
    lines = (
        InvoiceLine(
            kind=InvoiceLineKind.TIME,
            description="Senior Consultant",
            amount=usd("1125.00"),
            hours=Hours("7.5"),
            rate=usd("150"),
            source_ids=(new_id(),),
        ),
        InvoiceLine(
            kind=InvoiceLineKind.TIME,
            description="Analyst",
            amount=usd("316.67"),
            hours=Hours("3.33"),
            rate=usd("95.095"),
        ),
    )
    fields: dict[str, Any] = envelope("concord") | {
        "contract_id": CONTRACT_ID,
        "billing_basis": BillingBasis.TIME_AND_MATERIALS_PERIOD,
        "period_start": date(2026, 3, 1),
        "period_end": date(2026, 3, 31),
        "currency": "USD",
        "lines": lines,
        "amount": Money.sum((line.amount for line in lines), "USD"),
    }
    return fields | overrides


def posting_fields(**overrides: Any) -> dict[str, Any]:
    """Every field of a valid posting of two billable entries of one consultant on one project."""
    entries = (
        PostedEntry(
            entry_id=new_id(), hours=Hours("7.5"), cost_amount=usd("468.75"), bill_amount=usd("1125")
        ),
        PostedEntry(entry_id=new_id(), hours=Hours("4"), cost_amount=usd("250"), bill_amount=usd("600")),
    )
    fields: dict[str, Any] = envelope("concord") | {
        "posting_key": "tp-3f9a0c-1",
        "summary": "Time of E-1187 on Globex ERP rollout, Mar 2026 (2 entries)",
        "posting_date": date(2026, 3, 31),
        "legal_entity_code": "US01",
        "project_id": PROJECT_ID,
        "resource_id": RESOURCE_ID,
        "employee_id": "E-1187",
        "cost_center": "Delivery East",
        "service_line": "ERP",
        "billable": True,
        "hours": Hours("11.5"),
        "cost_amount": usd("718.75"),
        "bill_amount": usd("1725"),
        "entries": entries,
    }
    return fields | overrides


def all_records() -> dict[str, CanonicalRecord]:
    """One valid record of every canonical object, by schema name."""
    records: list[CanonicalRecord] = [
        LegalEntity(
            **envelope("netsuite"),
            code="US01",
            name="Concord Consulting Inc.",
            country="US",
            functional_currency="USD",
            erp_subsidiary_id="3",
            tax_regime="US sales tax",
        ),
        Customer(
            **envelope("salesforce"),
            name="Globex",
            currency="USD",
            payment_terms="Net 30",
            legal_entity_code="US01",
            segment="Enterprise",
            region="NA",
            billing_address=Address(
                lines=("1 Main Street",), city="Springfield", postal_code="01101", region="MA", country="US"
            ),
            tax_profile=TaxProfile(tax_id="12-3456789", tax_regime="US sales tax"),
        ),
        Contact(
            **envelope("salesforce"),
            customer_id=CUSTOMER_ID,
            name="Hank Scorpio",
            email="hank@globex.example",
            roles=(ContactRole.SPONSOR, ContactRole.BILLING),
        ),
        Resource(
            **envelope("hr"),
            employee_id="E-1187",
            name="Ada Byron",
            email="ada@firm.example",
            role="Senior Consultant",
            home_legal_entity_code="US01",
            cost_center="CC-100",
            cost_rate=usd("62.50"),
            capacity_hours_per_week=Hours(40),
            manager_id=MANAGER_ID,
        ),
        ServiceOffering(
            **envelope("netsuite"),
            code="ERP-IMPL",
            name="ERP implementation",
            service_line="Cloud ERP",
            delivery_template="erp-standard",
            pricing_models=(PricingModel.FIXED_FEE, PricingModel.TIME_AND_MATERIALS),
        ),
        RateCard(
            **envelope("netsuite"),
            code="STD-2026",
            name="Standard 2026",
            service_line="Cloud ERP",
            effective_from=date(2026, 1, 1),
            effective_to=date(2026, 12, 31),
            rates=(
                RateCardEntry(role="Senior Consultant", rate=usd("150")),
                RateCardEntry(role="Senior Consultant", rate=Money("140", "EUR")),
            ),
        ),
        Opportunity(
            **envelope("salesforce"),
            customer_id=CUSTOMER_ID,
            name="Globex ERP rollout",
            stage="Closed Won",
            amount=usd("100000"),
            currency="USD",
            close_date=date(2026, 3, 20),
            service_line="Cloud ERP",
            region="NA",
            pricing_model=PricingModel.FIXED_FEE,
            expected_start=date(2026, 4, 1),
            line_items=(OpportunityLineItem(role="Senior Consultant", hours=Hours(400), rate=usd("150")),),
        ),
        Contract(**contract_fields()),
        ChangeOrder(
            **envelope("salesforce"),
            contract_id=CONTRACT_ID,
            number="CO-7",
            delta_value=usd("-5000"),
            delta_hours=Hours.reversal_of(Hours(40)),
            approval_state=ApprovalState.APPROVED,
            approver="Dana Controller",
            approved_at=datetime(2026, 5, 2, 8, 0, tzinfo=UTC),
            new_milestones=(
                PlannedMilestone(name="Hypercare", amount=usd("2500"), due_date=date(2026, 10, 15)),
            ),
            contract_version=2,
        ),
        Project(
            **envelope(),
            name="Globex ERP rollout",
            contract_id=CONTRACT_ID,
            customer_id=CUSTOMER_ID,
            legal_entity_code="US01",
            status=ProjectStatus.ACTIVE,
            start_date=date(2026, 4, 1),
            end_date=date(2026, 9, 30),
            currency="USD",
            delivery_template="erp-standard",
            budget=ProjectBudget(hours=Hours(600), fees=usd("100000"), cost=usd("40000")),
            project_manager_id=MANAGER_ID,
            service_line="Cloud ERP",
        ),
        Milestone(
            **envelope(),
            project_id=PROJECT_ID,
            name="Design signed off",
            amount=usd("40000"),
            due_date=date(2026, 5, 31),
            status=MilestoneStatus.ACCEPTED,
            completed_on=date(2026, 5, 28),
            accepted_on=date(2026, 5, 30),
        ),
        Assignment(
            **envelope(),
            project_id=PROJECT_ID,
            resource_id=RESOURCE_ID,
            role="Senior Consultant",
            hours_per_week=Hours(32),
            start_date=date(2026, 4, 1),
            end_date=date(2026, 9, 30),
            bill_rate=usd("150"),
            cost_rate=usd("62.50"),
        ),
        TimeEntry(**time_entry_fields(task="Build", notes="Data migration dry run")),
        ExpenseItem(
            **envelope(),
            project_id=PROJECT_ID,
            resource_id=RESOURCE_ID,
            expense_date=date(2026, 3, 12),
            category="Travel",
            amount=usd("412.30"),
            billable=True,
            markup=Decimal("0.10"),
            receipt_reference="R-553",
            status=ExpenseStatus.APPROVED,
            approver_id=MANAGER_ID,
        ),
        InvoiceEvent(**invoice_fields()),
        RevenueEvent(
            **envelope("concord"),
            contract_id=CONTRACT_ID,
            recognition_basis=RecognitionBasis.AS_DELIVERED,
            amount=usd("1441.67"),
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 31),
            journal_lines=(
                JournalLine(
                    account="1250 Unbilled receivables", side=JournalSide.DEBIT, amount=usd("1441.67")
                ),
                JournalLine(account="4000 Services revenue", side=JournalSide.CREDIT, amount=usd("1441.67")),
            ),
        ),
        PurchaseCommitment(
            **envelope("netsuite"),
            subcontractor="Initech Staffing",
            subcontractor_id="V-88",
            project_id=PROJECT_ID,
            amount=usd("12000"),
            period_start=date(2026, 4, 1),
            period_end=date(2026, 6, 30),
        ),
        TimePosting(**posting_fields(redated_from=date(2026, 2, 27))),
        ExpensePosting(
            **envelope("concord"),
            posting_key="xp-3f9a0c",
            summary="Lodging expense of employee E-1187 on Globex ERP rollout: EUR 189.50, USD 205.36",
            posting_date=date(2026, 3, 3),
            expense_id=new_id(),
            expense_date=date(2026, 3, 3),
            category="Lodging",
            receipt_reference="R-553",
            legal_entity_code="US01",
            project_id=PROJECT_ID,
            resource_id=RESOURCE_ID,
            employee_id="E-1187",
            billable=True,
            amount=Money("189.50", "EUR"),
            exchange_rate=Decimal("1.0837"),
            posted_amount=usd("205.36"),
            billable_amount=usd("225.90"),
        ),
        AccountingPeriod(
            **envelope("netsuite"),
            name="Mar 2026",
            start_date=date(2026, 3, 1),
            end_date=date(2026, 3, 31),
            closed=False,
        ),
    ]
    return {record.SCHEMA_NAME: record for record in records}


__all__ = [
    "all_records",
    "contract_fields",
    "envelope",
    "invoice_fields",
    "posting_fields",
    "time_entry_fields",
    "usd",
]
