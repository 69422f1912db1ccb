"""Master data alignment (domain.md §3.7): a master record changed in one system is upserted, as the
canonical record, into every other system that keeps it.

The flow itself is simple on purpose; what makes it safe lives around it. The change gate has already
applied the authority matrix (a field changed by a system that does not own it arrives reverted to its
authoritative value, with a governance exception raised) and dropped Concord's own writes coming back;
the write screen skips a write that would change nothing. So this flow may send every version it sees
to every other holder: it never loops and never overwrites an owner's value with a non-owner's.
"""

from __future__ import annotations

from collections.abc import Sequence

from concord.domain.messages import CommandSpec, Event
from concord.engine.flows import BusinessRef, Flow, Step, StepContext


def alignment_flow(object_type: str, systems: Sequence[str]) -> Flow:
    """The flow keeping ``object_type`` (e.g. ``Customer``) aligned across ``systems``."""
    holders = tuple(dict.fromkeys(systems))

    def propagate(ctx: StepContext) -> Sequence[CommandSpec]:
        record = ctx.trigger
        source = record.get("source_system")
        return [CommandSpec(target, "upsert", object_type, record) for target in holders if target != source]

    def business(event: Event) -> BusinessRef:
        record = event.payload
        name = record.get("name") or record.get("code") or record["global_id"]
        return BusinessRef(
            object_type,
            f"{object_type}:{record['global_id']}",
            f"{object_type} '{name}'",
            {**record.get("system_ids", {}), "concord": record["global_id"]},
        )

    return Flow(
        name=f"align_{object_type.lower()}",
        triggers=frozenset({f"{object_type}Changed"}),
        steps=(Step("upsert", propagate),),
        # One run per version seen: a replayed or re-detected version never runs twice.
        key=lambda event: (
            f"{event.payload['global_id']}:{event.source_system}:{event.payload.get('source_version')}"
        ),
        business=business,
    )
