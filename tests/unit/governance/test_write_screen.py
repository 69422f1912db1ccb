"""Screening one write: skipped when it changes nothing, golden values when superseded, echo remembered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from concord.engine.gates import RememberedRecord
from concord.engine.model import ClaimedCommand
from concord.governance.fingerprint import digest
from concord.governance.golden import golden_field
from concord.governance.screen import screen_write

GID = "01J9Z3K6T8V2M4N5P7Q8R9S0TA"
T1, T2 = datetime(2026, 3, 2, 9, 0, 1, tzinfo=UTC), datetime(2026, 3, 2, 9, 0, 2, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def command(
    command_id: str = "C1", kind: str = "forward", at: datetime = T1, **fields: Any
) -> ClaimedCommand:
    payload = {
        "global_id": GID,
        "system_ids": {"salesforce": "001"},
        "source_system": "salesforce",
        "source_changed_at": at.isoformat(),
        **fields,
    }
    return ClaimedCommand(
        seq=1,
        command_id=command_id,
        idempotency_key=command_id,
        instance_id="i",
        step="upsert",
        kind=kind,
        target="netsuite",
        action="upsert",
        object_type="Customer",
        ordering_key="k",
        payload=payload,
        attempts=1,
        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        created_at=NOW,
    )


def netsuite(**seen: Any) -> RememberedRecord:
    target = RememberedRecord("netsuite", "Customer", GID, system_id="NS-1")
    target.seen = {name: digest(value) for name, value in seen.items()}
    return target


def test_a_write_of_what_the_target_holds_is_skipped() -> None:
    verdict = screen_write(command(name="Acme"), netsuite(name="Acme"), {}, NOW)
    assert verdict.skip == {"skipped": "no change", "global_id": GID, "system_id": "NS-1"}


def test_a_write_that_changes_something_is_remembered_for_its_echo() -> None:
    target = netsuite(name="Acme")
    verdict = screen_write(command(name="Acme Corp", segment="SMB"), target, {}, NOW)
    assert verdict.skip is None and verdict.payload is None
    assert target.written == {
        "name": {"d": digest("Acme Corp"), "c": "C1"},
        "segment": {"d": digest("SMB"), "c": "C1"},
    }
    assert target.written_at == NOW
    # Tried again (its first attempt failed): its own expectation is not taken for what the target holds.
    assert screen_write(command(name="Acme Corp", segment="SMB"), target, {}, NOW).skip is None
    # Another command writing the same values meanwhile needs no call.
    assert screen_write(command("C2", name="Acme Corp", segment="SMB"), target, {}, NOW).skip is not None


def test_a_value_superseded_by_a_later_change_goes_out_as_the_golden_value() -> None:
    golden = {"name": golden_field("ACME Inc.", digest("ACME Inc."), T2, "netsuite")}
    verdict = screen_write(command(name="Acme Corp", segment="SMB"), netsuite(name="ACME Inc."), golden, NOW)
    assert verdict.payload is not None
    assert (verdict.payload["name"], verdict.payload["segment"]) == ("ACME Inc.", "SMB")
    skipped = screen_write(command(name="Acme Corp"), netsuite(name="ACME Inc."), golden, NOW)
    assert skipped.skip == {"skipped": "superseded", "global_id": GID, "system_id": "NS-1"}


def test_a_value_the_flow_chose_after_the_golden_one_is_written_as_it_is() -> None:
    golden = {"status": golden_field("pending", digest("pending"), T1, "kantata")}
    verdict = screen_write(command(at=T2, status="active"), netsuite(status="pending"), golden, NOW)
    assert verdict.skip is None and verdict.payload is None
    compensation = command(kind="compensate", at=T1, status="on_hold")
    assert (
        screen_write(compensation, netsuite(status="pending"), {"status": golden["status"]}, NOW).payload
        is None
    )
