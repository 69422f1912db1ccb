"""Business rules of the canonical objects, and messages a finance or delivery person can read."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from concord.domain.hours import Hours
from concord.domain.ids import new_id
from concord.domain.money import Money
from concord.domain.objects import (
    ApprovalState,
    Assignment,
    BillingBasis,
    BillingFrequency,
    BillingPlan,
    CanonicalRecord,
    ChangeOrder,
    Contract,
    ExpenseItem,
    InvoiceEvent,
    InvoiceLine,
    InvoiceLineKind,
    JournalLine,
    JournalSide,
    Milestone,
    MilestoneStatus,
    PricingModel,
    Project,
    ProjectStatus,
    RateCard,
    RateCardEntry,
    RecognitionBasis,
    Resource,
    RevenueEvent,
    RevenuePlan,
    TaxProfile,
    TimeEntry,
    TimeEntryStatus,
    business_messages,
)

from .samples import (
    CONTRACT_ID,
    PROJECT_ID,
    RESOURCE_ID,
    all_records,
    contract_fields,
    envelope,
    invoice_fields,
    time_entry_fields,
    usd,
)


def refusal(model: type[CanonicalRecord] | type[Any], **fields: Any) -> str:
    """The readable messages of the validation error `model(**fields)` raises."""
    with pytest.raises(ValidationError) as caught:
        model(**fields)
    return "\n".join(business_messages(caught.value))


class TestTimeEntry:
    @pytest.mark.parametrize("hours", ["0", "24.01", "25"])
    def test_hours_are_more_than_zero_and_at_most_24(self, hours: str) -> None:
        message = refusal(TimeEntry, **time_entry_fields(hours=Hours(hours)))
        assert "A time entry must record more than 0 and at most 24 hours" in message
        assert f"this one records {Hours(hours)} h on 2026-03-12" in message

    def test_24_hours_is_the_limit_not_beyond(self) -> None:
        assert TimeEntry(**time_entry_fields(hours=Hours(24))).hours == Decimal(24)

    def test_an_approved_entry_names_its_approver(self) -> None:
        message = refusal(TimeEntry, **time_entry_fields(approver_id=None))
        assert (
            message == "TimeEntry: The time entry of 7.50 h on 2026-03-12 is approved but names no approver."
        )

    def test_a_draft_has_no_approval_time(self) -> None:
        message = refusal(TimeEntry, **time_entry_fields(status=TimeEntryStatus.DRAFT, approver_id=None))
        assert "is draft but has an approval time" in message

    def test_amounts_are_rounded_at_the_line(self) -> None:
        entry = TimeEntry(**time_entry_fields(hours=Hours("7.33"), bill_rate=usd("150.125")))
        assert entry.bill_amount() == usd("1100.42")
        assert entry.cost_amount() == usd("458.13")
        assert TimeEntry(**time_entry_fields(billable=False)).bill_amount() is None

    def test_negative_rate_is_refused(self) -> None:
        message = refusal(TimeEntry, **time_entry_fields(bill_rate=usd("-1")))
        assert "The bill rate of the time entry cannot be negative (USD -1.00)." in message

    def test_a_float_for_hours_is_refused(self) -> None:
        message = refusal(TimeEntry, **time_entry_fields(hours=7.5))
        assert "TimeEntry: hours: The number of hours 7.5 is a float" in message


class TestContract:
    def test_ends_after_it_starts(self) -> None:
        message = refusal(Contract, **contract_fields(end_date=date(2026, 3, 1)))
        assert "Contract SOW-1042 ends on 2026-03-01, before it starts on 2026-04-01." in message

    def test_amounts_are_in_the_contract_currency(self) -> None:
        message = refusal(Contract, **contract_fields(not_to_exceed=Money("120000", "EUR")))
        assert (
            "The not-to-exceed cap is in EUR but contract SOW-1042 is in USD; all its amounts must be in USD."
            in message
        )

    def test_the_cap_is_not_negative(self) -> None:
        message = refusal(Contract, **contract_fields(not_to_exceed=usd("-1")))
        assert "The not-to-exceed cap of contract SOW-1042 cannot be negative (USD -1.00)." in message

    def test_the_billing_plan_adds_up_to_the_contract_value(self) -> None:
        message = refusal(Contract, **contract_fields(total_value=usd("90000")))
        assert "the billing plan adds up to USD 100,000.00 but the contract value is USD 90,000.00" in message

    def test_the_billing_plan_fits_the_pricing_model(self) -> None:
        plan = BillingPlan(basis=BillingBasis.TIME_AND_MATERIALS_PERIOD, frequency=BillingFrequency.MONTHLY)
        message = refusal(Contract, **contract_fields(billing_plan=plan))
        assert (
            "Contract SOW-1042 is fixed fee but its billing plan is on a time and materials period basis."
            in message
        )

    def test_the_revenue_plan_fits_the_pricing_model(self) -> None:
        message = refusal(
            Contract, **contract_fields(revenue_plan=RevenuePlan(basis=RecognitionBasis.STRAIGHT_LINE))
        )
        assert "is fixed fee but its revenue is recognised straight line" in message

    def test_a_time_and_materials_contract_with_a_cap(self) -> None:
        contract = Contract(
            **contract_fields(
                pricing_model=PricingModel.TIME_AND_MATERIALS,
                not_to_exceed=usd("120000"),
                billing_plan=BillingPlan(
                    basis=BillingBasis.TIME_AND_MATERIALS_PERIOD, frequency=BillingFrequency.MONTHLY
                ),
                revenue_plan=RevenuePlan(basis=RecognitionBasis.AS_DELIVERED),
            )
        )
        assert contract.pricing_model.bills_time

    def test_a_period_billing_plan_needs_a_frequency(self) -> None:
        message = refusal(BillingPlan, basis=BillingBasis.SUBSCRIPTION_PERIOD)
        assert (
            message == "BillingPlan: A billing plan on a subscription period basis needs a billing frequency."
        )


class TestOtherRules:
    def test_project_budget_in_project_currency(self) -> None:
        fields = envelope() | {
            "name": "Globex ERP rollout",
            "customer_id": CONTRACT_ID,
            "legal_entity_code": "US01",
            "status": ProjectStatus.ACTIVE,
            "start_date": date(2026, 4, 1),
            "currency": "USD",
        }
        project = Project(**fields)
        assert project.accepts_time_on(date(2026, 4, 1))
        assert not project.model_copy(update={"status": ProjectStatus.CLOSED}).accepts_time_on(
            date(2026, 4, 2)
        )
        message = refusal(Project, **fields, budget={"fees": {"amount": "10", "currency": "GBP"}})
        assert "The budgeted fees is in GBP but project 'Globex ERP rollout' is in USD" in message

    def test_assignment_hours_fit_in_a_week(self) -> None:
        fields = envelope() | {
            "project_id": PROJECT_ID,
            "resource_id": RESOURCE_ID,
            "role": "Analyst",
            "start_date": date(2026, 4, 1),
            "end_date": date(2026, 4, 30),
            "cost_rate": usd("50.125"),
        }
        assert Assignment(**fields, hours_per_week=Hours(40)).weekly_cost() == usd("2005.00")
        message = refusal(Assignment, **fields, hours_per_week=Hours(169))
        assert "must be more than 0 and at most 168 hours a week, not 169.00" in message

    def test_resource_is_not_their_own_manager(self) -> None:
        resource = all_records()["Resource"]
        assert isinstance(resource, Resource)
        data = resource.model_dump() | {"manager_id": resource.global_id}
        assert "Ada Byron cannot be their own manager." in refusal(Resource, **data)

    def test_rate_card_has_one_rate_per_role_and_currency(self) -> None:
        card = all_records()["RateCard"]
        assert isinstance(card, RateCard)
        assert card.rate_for("senior consultant", "EUR") == Money("140", "EUR")
        assert card.rate_for("Analyst", "USD") is None
        assert card.is_effective_on(date(2026, 6, 1)) and not card.is_effective_on(date(2027, 1, 1))
        data = card.model_dump() | {
            "rates": (*card.rates, RateCardEntry(role="Senior Consultant", rate=usd("160")))
        }
        assert "Rate card STD-2026 lists more than one USD rate for 'Senior Consultant'." in refusal(
            RateCard, **data
        )

    def test_milestone_accepted_after_completion(self) -> None:
        fields = envelope() | {
            "project_id": PROJECT_ID,
            "name": "Go-live",
            "status": MilestoneStatus.ACCEPTED,
        }
        message = refusal(Milestone, **fields, completed_on=date(2026, 6, 2), accepted_on=date(2026, 6, 1))
        assert (
            "The milestone 'Go-live' was accepted on 2026-06-01, before it was completed on 2026-06-02."
            in message
        )
        assert "needs the date it was accepted" in refusal(Milestone, **fields)

    def test_change_order_approval_names_approver(self) -> None:
        fields = envelope("salesforce") | {
            "contract_id": CONTRACT_ID,
            "number": "CO-8",
            "delta_value": usd("1000"),
            "delta_hours": Hours(8),
            "approval_state": ApprovalState.APPROVED,
        }
        assert "Change order CO-8 is approved, so it must say who approved it and when." in refusal(
            ChangeOrder, **fields
        )

    def test_expense_markup_and_billable_amount(self) -> None:
        expense = all_records()["ExpenseItem"]
        assert isinstance(expense, ExpenseItem)
        assert expense.billable_amount() == usd("453.53")
        data = expense.model_dump() | {"markup": Decimal("1.5")}
        assert "must be between 0 and 1 (0.10 is 10 %), not 1.5" in refusal(ExpenseItem, **data)
        data = expense.model_dump() | {"amount": usd("412.305")}
        assert "has more decimals than USD allows (2); round each line half-up first" in refusal(
            ExpenseItem, **data
        )

    def test_tax_profile_needs_an_id_unless_exempt(self) -> None:
        assert TaxProfile(exempt=True).tax_id is None
        assert (
            refusal(TaxProfile)
            == "TaxProfile: A tax profile needs a tax id unless the customer is tax exempt."
        )

    def test_customer_master_data_gaps(self) -> None:
        customer = all_records()["Customer"]
        bare = customer.model_copy(update={"tax_profile": None, "currency": None})
        assert bare.master_data_gaps() == ("tax profile", "currency")  # type: ignore[attr-defined]


class TestInvoicesAndRevenue:
    def test_the_total_is_the_sum_of_rounded_lines(self) -> None:
        message = refusal(InvoiceEvent, **invoice_fields(amount=usd("1441.66")))
        assert (
            message
            == "InvoiceEvent: The invoice total USD 1,441.66 is not the sum of its lines, USD 1,441.67."
        )

    def test_a_time_line_is_hours_times_rate_rounded(self) -> None:
        message = refusal(
            InvoiceLine,
            kind=InvoiceLineKind.TIME,
            description="Analyst",
            amount=usd("316.66"),
            hours=Hours("3.33"),
            rate=usd("95.095"),
        )
        assert (
            "Invoice line 'Analyst': 3.33 h at USD 95.095 an hour is USD 316.67, "
            "but the line says USD 316.66." in message
        )

    def test_line_amounts_are_rounded(self) -> None:
        message = refusal(
            InvoiceLine, kind=InvoiceLineKind.ADJUSTMENT, description="Fee", amount=usd("1.005")
        )
        assert "The amount of invoice line 'Fee' 1.005 USD has more decimals than USD allows (2)" in message

    def test_an_invoice_has_lines(self) -> None:
        message = refusal(InvoiceEvent, **invoice_fields(lines=()))
        assert "InvoiceEvent: lines:" in message

    def test_revenue_journal_balances(self) -> None:
        fields = envelope("concord") | {
            "contract_id": CONTRACT_ID,
            "recognition_basis": RecognitionBasis.AS_DELIVERED,
            "amount": usd("100"),
            "period_start": date(2026, 3, 1),
            "period_end": date(2026, 3, 31),
        }
        debit = JournalLine(account="1250 Unbilled", side=JournalSide.DEBIT, amount=usd("100"))
        credit = JournalLine(account="4000 Revenue", side=JournalSide.CREDIT, amount=usd("90"))
        message = refusal(RevenueEvent, **fields, journal_lines=(debit, credit))
        assert "The revenue journal does not balance: debits USD 100.00, credits USD 90.00." in message


class TestEnvelope:
    def test_unknown_fields_are_refused_not_ignored(self) -> None:
        message = refusal(TimeEntry, **time_entry_fields(hourz="7"))
        assert "hourz" in message

    def test_replace_validates_the_changed_copy(self) -> None:
        entry = TimeEntry(**time_entry_fields())
        longer = entry.replace(hours=Hours(8))
        assert (longer.hours, longer.global_id, entry.hours) == (Hours(8), entry.global_id, Hours("7.5"))
        with pytest.raises(ValidationError, match="at most 24 hours"):
            entry.replace(hours=Hours(30))

    def test_records_are_frozen(self) -> None:
        entry = TimeEntry(**time_entry_fields())
        with pytest.raises(ValidationError, match="frozen"):
            entry.hours = Hours(8)  # type: ignore[misc]

    def test_envelope_fields_are_checked_readably(self) -> None:
        message = refusal(TimeEntry, **time_entry_fields(correlation_id="abc", global_id="42"))
        assert "global_id: '42' is not a Concord global id (a 26-character ULID" in message
        assert "correlation_id: 'abc' is not a correlation id" in message

    def test_change_time_needs_a_time_zone_and_is_kept_in_utc(self) -> None:
        assert "timezone" in refusal(
            TimeEntry, **time_entry_fields(source_changed_at=datetime(2026, 3, 12, 9))
        )
        paris = timezone(timedelta(hours=1))
        entry = TimeEntry(**time_entry_fields(source_changed_at=datetime(2026, 3, 12, 18, 30, tzinfo=paris)))
        assert entry.source_changed_at.utcoffset() == timedelta(0)
        assert entry.source_changed_at.hour == 17

    def test_a_global_id_is_minted_when_none_is_given(self) -> None:
        first, second = TimeEntry(**time_entry_fields()), TimeEntry(**time_entry_fields())
        assert len(first.global_id) == 26 and first.global_id != second.global_id

    def test_each_record_declares_its_schema(self) -> None:
        with pytest.raises(TypeError, match="must declare SCHEMA_NAME"):

            class Nameless(CanonicalRecord):
                pass


class TestContentHash:
    def test_same_business_content_from_different_systems_hashes_the_same(self) -> None:
        from_psa = TimeEntry(**time_entry_fields())
        from_erp = TimeEntry(
            **time_entry_fields(
                system_ids={"netsuite": "TE-20931"},
                source_system="netsuite",
                source_version=None,
                correlation_id="0af7651916cd43dd8448eb211c80319c",
            )
        )
        assert from_psa.content_hash() == from_erp.content_hash()
        assert len(from_psa.content_hash()) == 64

    def test_any_business_change_changes_the_hash(self) -> None:
        entry = TimeEntry(**time_entry_fields())
        assert entry.content_hash() != TimeEntry(**time_entry_fields(hours=Hours("7.75"))).content_hash()
        assert entry.content_hash() != TimeEntry(**time_entry_fields(billable=False)).content_hash()

    def test_equal_values_written_differently_hash_the_same(self) -> None:
        same_id = new_id()
        plain = TimeEntry(**time_entry_fields(global_id=same_id, bill_rate=usd("150")))
        padded = TimeEntry(**time_entry_fields(global_id=same_id, bill_rate=usd("150.0000")))
        assert plain == padded
        assert plain.content_hash() == padded.content_hash()
        assert hash(plain) == hash(padded)

    def test_hash_survives_a_json_round_trip(self) -> None:
        for record in all_records().values():
            again = type(record).model_validate_json(record.model_dump_json())
            assert again.content_hash() == record.content_hash()
