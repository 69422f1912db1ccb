"""The project billing flow's steps over the answers of the reads, without an engine: what each asks, what
it sends, and that what it invoiced is remembered only once the ERP has the invoices."""

from __future__ import annotations

from datetime import date
from typing import Any

from concord.domain.messages import JSON
from concord.engine.flows import INPUTS, RUN_AGAIN_AT, Flow, StepContext
from concord.flows.billing import BILLED, billing, billing_key, subscription_billing
from concord.flows.billing_config import BillingConfig
from unit.domain.rule_facts import entry, subscription_contract, tm_contract
from unit.domain.samples import CONTRACT_ID, PROJECT_ID, RESOURCE_ID

READ_AT = "2026-04-02T06:00:00+00:00"
FLOW: Flow = billing(BillingConfig())


def _context(
    records: list[Any], state: JSON | None = None, *, at: str = READ_AT, **results: list[JSON]
) -> StepContext:
    gathered = {record.global_id: {"payload": record.model_dump(mode="json"), "at": at} for record in records}
    return StepContext(
        instance_id=f"billing:{PROJECT_ID}",
        flow_key=PROJECT_ID,
        trigger={},
        state={**(state or {}), INPUTS: gathered},
        results=dict(results),
        generation=1,
    )


def _step(name: str, ctx: StepContext) -> list[Any]:
    return list(FLOW.steps[FLOW.step_index(name)].run(ctx))


def _project(at: str = READ_AT) -> JSON:
    record = {"contract_id": CONTRACT_ID, "name": "Globex ERP rollout"}
    return {
        "system": "netsuite",
        "global_id": PROJECT_ID,
        "found": True,
        "record": record,
        "read_at": at,
    }


def _contract(**answer: Any) -> JSON:
    record = tm_contract().model_dump(mode="json")
    return {
        "system": "netsuite",
        "global_id": CONTRACT_ID,
        "system_id": "3811",
        "found": True,
        "record": record,
        "read_at": READ_AT,
        **answer,
    }


def test_the_reads_ask_the_erp_for_the_project_and_its_contract_and_the_psa_for_the_people() -> None:
    ctx = _context([entry()])
    commands = _step("read", ctx)
    assert [(c.target, c.action, c.object_type, c.payload) for c in commands] == [
        ("netsuite", "get", "Project", {"global_id": PROJECT_ID}),
        ("kantata", "get", "Resource", {"global_id": RESOURCE_ID}),
    ]
    resource = {
        "system": "kantata",
        "global_id": RESOURCE_ID,
        "found": True,
        "invalid": "no employee id",
        "values": {"name": "Ada Byron"},
        "read_at": READ_AT,
    }
    ctx.results["read"] = [resource, _project()]  # answers come back in any order
    [get] = _step("read_contract", ctx)
    assert (get.object_type, get.payload) == ("Contract", {"global_id": CONTRACT_ID})
    assert _step("read", _context([entry(status="draft", approved_at=None, approver_id=None)])) == []


def test_the_invoices_are_remembered_only_once_the_erp_has_them() -> None:
    worked = entry()
    ctx = _context([worked], read=[_project()], read_contract=[_contract()])
    [upsert] = _step("bill", ctx)
    assert (upsert.action, upsert.object_type) == ("upsert", "InvoiceEvent")
    assert upsert.payload["amount"] == {"amount": "1125.00", "currency": "USD"}
    assert BILLED not in ctx.state  # the ERP may still refuse it: decided again then

    again = _context([worked], ctx.state, read=[_project()], read_contract=[_contract()])
    assert [c.payload["global_id"] for c in _step("bill", again)] == [upsert.payload["global_id"]]
    assert _step("billed", again) == [] and BILLED in again.state
    assert billing_key("TimeEntry", upsert.payload["lines"][0]["source_ids"][0]) in [
        k for k, _ in again.settled
    ]
    done = _context([worked], again.state, read=[_project()], read_contract=[_contract()])
    assert _step("bill", done) == []


def test_a_contract_whose_erp_schedule_names_no_period_is_billed_at_the_default_frequency() -> None:
    values = {k: v for k, v in tm_contract().model_dump(mode="json").items() if k not in ENVELOPE}
    values["billing_plan"] = {"basis": "time_and_materials_period"}
    unread = _contract(record=None, invalid="billing_plan: needs a billing frequency", values=values)
    ctx = _context([entry(work_date=date(2026, 3, 2))], read=[_project()], read_contract=[unread])
    [upsert] = _step("bill", ctx)
    assert (upsert.payload["period_start"], upsert.payload["period_end"]) == ("2026-03-01", "2026-03-31")


def test_a_period_is_billed_by_the_platforms_day_when_their_stamps_run_ahead_of_concords_clock() -> None:
    """A sandbox moves its platforms through a simulated month in minutes: Concord's clock still says
    April 2 when the PSA approved time on May 1, so April has ended (and is billed), May has not."""
    april, may = entry(work_date=date(2026, 4, 10)), entry(work_date=date(2026, 5, 1))
    behind = _context([april, may], read=[_project()], read_contract=[_contract()])
    assert _step("bill", behind) == []  # by Concord's clock alone, April is still running

    ahead = _context(
        [april, may], at="2026-05-01T09:30:00+00:00", read=[_project()], read_contract=[_contract()]
    )
    [upsert] = _step("bill", ahead)
    assert (upsert.payload["period_start"], upsert.payload["period_end"]) == ("2026-04-01", "2026-04-30")
    assert [line["source_ids"] for line in upsert.payload["lines"]] == [[april.global_id]]

    # A record the run read (here the ERP's project) is evidence of the platforms' day as well.
    project = {**_project(), "record": {**_project()["record"], "source_changed_at": "2026-05-02T08:00:00Z"}}
    read = _context([april, may], read=[project], read_contract=[_contract()])
    [upsert] = _step("bill", read)
    assert upsert.payload["period_end"] == "2026-04-30"


def test_a_run_with_time_waiting_in_the_running_period_asks_to_run_again_when_the_period_ends() -> None:
    """A project whose last time was approved before its period ended is invoiced when the period ends,
    not at its next change (which may never come): the run asks the engine to run it again then."""
    april = entry(work_date=date(2026, 4, 10))
    early = _context([april], read=[_project()], read_contract=[_contract()])
    assert _step("bill", early) == []  # April 2: the period is running
    assert early.state[RUN_AGAIN_AT] == "2026-05-01T00:00:00+00:00"

    on_time = _context(
        [april],
        read=[_project(at="2026-05-01T00:00:05+00:00")],
        read_contract=[_contract(read_at="2026-05-01T00:00:05+00:00")],
    )
    [upsert] = _step("bill", on_time)  # the engine ran it again on May 1: April's invoice
    assert upsert.payload["period_end"] == "2026-04-30"
    assert RUN_AGAIN_AT not in on_time.state  # nothing waits any more

    unbillable = _context(
        [entry(work_date=date(2026, 4, 10), billable=False)], read=[_project()], read_contract=[_contract()]
    )
    assert _step("bill", unbillable) == [] and RUN_AGAIN_AT not in unbillable.state


def test_subscription_fees_are_billed_by_the_platforms_day_when_their_stamps_run_ahead() -> None:
    flow = subscription_billing(BillingConfig(subscription_in_advance=True))
    contract = subscription_contract(start_date=date(2026, 4, 1), end_date=date(2027, 3, 31))
    contracts = {"system": "netsuite", "read_at": READ_AT, "records": [contract.model_dump(mode="json")]}
    job = {"global_id": PROJECT_ID, "contract_id": CONTRACT_ID, "source_changed_at": READ_AT}
    projects = {"system": "netsuite", "read_at": READ_AT, "records": [job]}

    def bill(projects: JSON) -> list[Any]:
        ctx = _context([], read_contracts=[contracts], read_projects=[projects])
        return list(flow.steps[flow.step_index("bill")].run(ctx))

    assert [c.payload["period_start"] for c in bill(projects)] == ["2026-04-01"]
    # The ERP changed the project on June 3 (its clock): the fees of May and June have begun as well.
    later = {**projects, "records": [{**job, "source_changed_at": "2026-06-03T17:30:00Z"}]}
    assert [c.payload["period_start"] for c in bill(later)] == ["2026-04-01", "2026-05-01", "2026-06-01"]


def test_a_project_without_a_contract_opens_one_exception_and_reads_no_further() -> None:
    unlinked = {**_project(), "record": {"name": "Globex ERP rollout"}}
    ctx = _context([entry()], read=[unlinked])
    assert _step("read_contract", ctx) == []
    [report] = ctx.reports
    assert report.business.key == billing_key("Project", PROJECT_ID)
    assert "Approved work on project 'Globex ERP rollout' was not billed" in report.message


ENVELOPE = {
    "global_id",
    "system_ids",
    "source_system",
    "source_changed_at",
    "source_version",
    "correlation_id",
}
