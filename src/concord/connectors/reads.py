"""The read commands every platform connector carries out, on its polls and its mapping.

``get`` (``{"global_id"}``, optionally ``system_id``) reads the current version of a record
  Concord knows, the way a poll reads it, through the same mapping, so a flow can decide on facts as they
  are now: ``{"found": true, "record": <canonical record>}``, ``{"found": false}``, or, when the record
  is there but is not a valid canonical record, ``{"found": true, "invalid": "<why>", "values": {...}}``
  (the fields the platform does hold; the flow says what that means in its business); ``read_at`` says
  when the facts were read. ``list`` (``{}``, optionally ``{"since": <ISO instant>}``) reads every record
  of the object the platform holds (changed since then), the way a poll from the beginning reads them:
  ``{"records": [<canonical record>...], "invalid": [{"system_id", "why", "values"?, "global_id"?}...],
  "read_at"}``; a record that is not a valid canonical record is listed under ``invalid`` (with the
  values it does hold) instead of failing the list. It is for reference sets (accounting periods,
  subsidiaries, people): beyond ``LIST_LIMIT`` records it fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import ValidationError

from concord.connectors.platform import PolledRecord, failure_of
from concord.domain.messages import JSON, UNMAPPABLE, CommandEnvelope
from concord.domain.objects import ENVELOPE_FIELDS
from concord.domain.objects.rules import business_messages
from concord.engine.errors import CannotEncode
from concord.engine.ports import Failed, Outcome, Succeeded
from concord.mapping import ObjectMapping

if TYPE_CHECKING:
    from concord.connectors.base import PlatformConnector

__all__ = ["LIST_LIMIT", "get_records", "list_records"]

LIST_LIMIT = 10_000
"""The most records a ``list`` answers with; a longer list is refused (detect changes instead)."""

_LIST_PAGE = 500


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CannotEncode(f"'since' must be an ISO date and time, not {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def get_records(
    connector: PlatformConnector, mapping: ObjectMapping, commands: Sequence[CommandEnvelope]
) -> list[Outcome]:
    """``get``: each command's record as the platform holds it now."""
    asked = [
        (str(command.payload.get("global_id") or ""), str(command.payload.get("system_id") or ""))
        for command in commands
    ]
    # Where each record is in this system: one look-up for the batch, not one per command.
    unplaced = [global_id for global_id, system_id in asked if global_id and not system_id]
    placed = (
        connector.services.xref.system_ids(unplaced, connector.name, mapping.canonical) if unplaced else {}
    )
    wanted: list[tuple[str, str | None]] = [
        (global_id, system_id or (placed.get(global_id) if global_id else None))
        for global_id, system_id in asked
    ]
    known = list(dict.fromkeys(sid for _, sid in wanted if sid))
    read_at = datetime.now(UTC).isoformat()
    try:
        found = await connector.fetch(mapping, known) if known else []
    except Exception as error:  # the read failed as a whole: every command shares its outcome
        failure = failure_of(error, connector.name)
        return [Failed(connector.classify(failure), str(failure))] * len(commands)
    read = {change.source_id: change.payload for change in connector.changes(mapping, found)}
    outcomes: list[Outcome] = []
    for global_id, system_id in wanted:
        if not global_id:
            missing = CannotEncode(f"a get of {mapping.canonical} needs the record's global_id")
            outcomes.append(Failed(connector.classify(missing), str(missing)))
            continue
        answer: JSON = {
            "system": connector.name,
            "global_id": global_id,
            "system_id": system_id,
            "read_at": read_at,
        }
        payload = read.get(system_id) if system_id else None
        outcomes.append(Succeeded({**answer, **_read_answer(mapping, payload)}))
    return outcomes


async def list_records(
    connector: PlatformConnector, mapping: ObjectMapping, commands: Sequence[CommandEnvelope]
) -> list[Outcome]:
    """``list``: every record of the object (changed since ``since``); one read per distinct ``since``."""
    answers: dict[str | None, Outcome] = {}
    outcomes: list[Outcome] = []
    for command in commands:
        since = command.payload.get("since")
        key = None if since is None else str(since)
        if key not in answers:
            answers[key] = await _list_since(connector, mapping, key)
        outcomes.append(answers[key])
    return outcomes


async def _list_since(connector: PlatformConnector, mapping: ObjectMapping, since: str | None) -> Outcome:
    try:
        if "inbound" not in mapping.directions:
            raise CannotEncode(f"{connector.name} does not read {mapping.canonical}: its mapping only writes")
        cursor = None if since is None else connector.cursor_since(_instant(since))
        read_at = datetime.now(UTC).isoformat()
        found = await _read_all(connector, mapping, cursor)
    except CannotEncode as error:
        return Failed(connector.classify(error), str(error))
    except Exception as error:  # the read failed as a whole
        failure = failure_of(error, connector.name)
        return Failed(connector.classify(failure), str(failure))
    records: list[JSON] = []
    invalid: list[JSON] = []
    for change in connector.changes(mapping, [r for r in found if not r.deleted]):
        answer = _read_answer(mapping, change.payload)
        if "record" in answer:
            records.append(answer["record"])
        else:
            held: JSON = {"system_id": change.source_id, "why": answer["invalid"]}
            if "values" in answer:  # what the platform holds still serves to match the record
                held["values"] = answer["values"]
            if change.payload.get("global_id"):
                held["global_id"] = change.payload["global_id"]
            invalid.append(held)
    return Succeeded({"system": connector.name, "read_at": read_at, "records": records, "invalid": invalid})


async def _read_all(
    connector: PlatformConnector, mapping: ObjectMapping, cursor: str | None
) -> list[PolledRecord]:
    found: list[PolledRecord] = []
    pages = connector.stream(mapping, cursor, _LIST_PAGE)
    try:
        async for page in pages:
            found += page.records
            if len(found) > LIST_LIMIT:
                raise CannotEncode(
                    f"{connector.name} holds more than {LIST_LIMIT} {mapping.canonical} records; a list "
                    "reads small reference sets only (detect changes to follow larger ones)"
                )
    finally:
        await pages.aclose()
    return found


def _read_answer(mapping: ObjectMapping, payload: JSON | None) -> JSON:
    if payload is None:
        return {"found": False}
    if UNMAPPABLE in payload:
        return {"found": True, "invalid": str(payload[UNMAPPABLE])}
    try:
        record = mapping.model.model_validate(payload)
    except ValidationError as error:
        # What the platform does hold still helps the flow say which record is wrong.
        values = {k: v for k, v in payload.items() if k not in ENVELOPE_FIELDS}
        return {"found": True, "invalid": "; ".join(business_messages(error)), "values": values}
    return {"found": True, "record": record.model_dump(mode="json")}
