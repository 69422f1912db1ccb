"""Commands of one step that need no order among themselves, delivered side by side.

The outbox keeps order per ordering key: a command waits until every earlier command of its key has
settled. By default every command of a flow instance shares one key (the instance's aggregate), so a step
that reads six records or writes four postings sends them one after the other, each in its own claim and
settle. Reads change nothing, and writes of distinct records (postings, each its own record in the ERP)
have no order to keep between them: ``apart`` gives each command a key of its own, so the step's commands
are claimed together, go out in one batch (one SuiteQL query for the reads of one kind, the writes as many
at once as the platform allows) and settle together. Each record keeps its own order: the key of a write
names the record it writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from concord.domain.messages import CommandSpec
from concord.engine.flows import StepContext

__all__ = ["apart", "own_record"]


def apart(ctx: StepContext, step: str, specs: Sequence[CommandSpec]) -> list[CommandSpec]:
    """Reads (no effects): each its own ordering key, unique to this instance, step and read."""
    return [
        replace(spec, ordering_key=f"{ctx.instance_id}/{step}/{index}") if spec.ordering_key is None else spec
        for index, spec in enumerate(specs)
    ]


def own_record(spec: CommandSpec) -> CommandSpec:
    """A write of one record, ordered after earlier writes of that record only (its global id names it)."""
    return replace(spec, ordering_key=f"{spec.object_type}:{spec.payload['global_id']}")
