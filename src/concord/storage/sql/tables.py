"""The store's tables. Migrations in ``concord/storage/migrations`` create exactly these."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from concord.storage.sql.exact_decimal import ExactDecimal
from concord.storage.sql.types import BigSerial, JSONText, UTCDateTime

metadata = MetaData()


def _where(condition: str) -> dict[str, Any]:
    """A partial-index condition, for both backends."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


TRACEPARENT = 55

#: Every detected change, once: the recorder's dedupe keys (system|object|id|version).
inbox = Table(
    "inbox",
    metadata,
    Column("dedupe_key", String(400), primary_key=True),
    Column("event_id", String(26), nullable=True),
    Column("outcome", String(12), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

#: The append-only event log, ordered per partition (partition_seq is allocated under a row lock so
#: that commit order and sequence order agree, even with concurrent recorders on PostgreSQL).
events = Table(
    "events",
    metadata,
    Column("seq", BigSerial, primary_key=True, autoincrement=True),
    Column("event_id", String(26), nullable=False, unique=True),
    Column("partition", Integer, nullable=False),
    Column("partition_seq", BigInteger, nullable=False),
    Column("event_type", String(80), nullable=False),
    Column("object_type", String(80), nullable=False),
    Column("aggregate_key", String(250), nullable=False),
    Column("source_system", String(40), nullable=False),
    Column("source_id", String(250), nullable=False),
    Column("payload", JSONText, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("traceparent", String(TRACEPARENT), nullable=False),
    UniqueConstraint("partition", "partition_seq", name="uq_events_partition_seq"),
    Index("ix_events_recorded_at", "recorded_at"),
    Index("ix_events_aggregate", "aggregate_key"),
)

#: Per partition: the head of the event sequence, the dispatcher's position and who leases it.
partitions = Table(
    "partitions",
    metadata,
    Column("partition", Integer, primary_key=True, autoincrement=False),
    Column("head", BigInteger, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("owner", String(120), nullable=True),
    Column("lease_expires_at", UTCDateTime, nullable=True),
)

#: Where each source's change detection has got to.
cursors = Table(
    "cursors",
    metadata,
    Column("system", String(40), nullable=False),
    Column("object_type", String(80), nullable=False),
    Column("position", Text, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("system", "object_type", name="pk_cursors"),
)

#: Durable flow instances: one per (flow, business key); state and step move with their commands.
flow_instances = Table(
    "flow_instances",
    metadata,
    Column("instance_id", String(330), primary_key=True),
    Column("flow", String(80), nullable=False),
    Column("flow_key", String(250), nullable=False),
    Column("status", String(16), nullable=False),
    Column("step_index", Integer, nullable=False),
    Column("generation", Integer, nullable=False),
    Column("pending", Integer, nullable=False),
    Column("state", JSONText, nullable=False),
    Column("trigger_event_id", String(26), nullable=False),
    Column("business_type", String(80), nullable=False),
    Column("business_key", String(250), nullable=False),
    Column("traceparent", String(TRACEPARENT), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime, nullable=True),
    Column("wake_at", UTCDateTime, nullable=True),
    Index("ix_flow_instances_status", "status"),
    Index("ix_flow_instances_wake", "wake_at"),
    Index("ix_flow_instances_business", "business_key"),
)

#: Which instance of a gathering flow holds each record, and the version (event log seq) it holds: the
#: newer version of a record that belongs to another instance (an entry re-dated into another month) is
#: taken from the instance that held it, so that no record is acted on by two instances at once.
gathered_records = Table(
    "gathered_records",
    metadata,
    Column("flow", String(80), nullable=False),
    Column("record", String(340), nullable=False),
    Column("instance_id", String(330), nullable=False),
    Column("log_seq", BigInteger, nullable=False),
    PrimaryKeyConstraint("flow", "record", name="pk_gathered_records"),
)

#: The transactional outbox: commands for target systems, delivered at least once with a
#: deterministic idempotency key so that their effect happens exactly once.
commands = Table(
    "commands",
    metadata,
    Column("seq", BigSerial, primary_key=True, autoincrement=True),
    Column("command_id", String(26), nullable=False, unique=True),
    Column("idempotency_key", String(400), nullable=False, unique=True),
    Column("instance_id", String(330), nullable=True),
    Column("step", String(80), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("target", String(40), nullable=False),
    Column("action", String(40), nullable=False),
    Column("object_type", String(80), nullable=False),
    Column("ordering_key", String(250), nullable=False),
    Column("payload", JSONText, nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("claimed_by", String(120), nullable=True),
    Column("claimed_until", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("result", JSONText, nullable=True),
    Column("traceparent", String(TRACEPARENT), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime, nullable=True),
    Index("ix_commands_instance", "instance_id"),
    # Partial indexes keep the claim cheap however many settled commands accumulate (it walks the
    # heads in ``outbox_heads`` and probes these).
    Index("ix_commands_unsettled", "ordering_key", "seq", **_where("status IN ('pending', 'in_flight')")),
    Index("ix_commands_in_flight", "claimed_until", **_where("status = 'in_flight'")),
)

#: Per ordering key with unsettled commands, the ``seq`` of its earliest one: the only command of the key a
#: claim may take. The claim reads these heads instead of testing every pending command (most of which
#: wait behind an earlier one of their key when a backlog builds up); the outbox keeps the table in step
#: with the commands at the end of each transaction that writes or settles some.
outbox_heads = Table(
    "outbox_heads",
    metadata,
    Column("ordering_key", String(250), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Index("ix_outbox_heads_seq", "seq"),
)

#: Cross-reference: one global id per business entity, and its id in each system.
xref = Table(
    "xref",
    metadata,
    Column("system", String(40), nullable=False),
    Column("object_type", String(80), nullable=False),
    Column("system_id", String(250), nullable=False),
    Column("global_id", String(26), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("system", "object_type", "system_id", name="pk_xref"),
    UniqueConstraint("global_id", "system", name="uq_xref_global_system"),
)

#: The exception queue: what went wrong, in business words, and what people did about it.
exceptions = Table(
    "exceptions",
    metadata,
    Column("exception_id", String(26), primary_key=True),
    Column("category", String(24), nullable=False),
    Column("team", String(12), nullable=False),
    Column("status", String(12), nullable=False),
    Column("business_type", String(80), nullable=False),
    Column("business_key", String(250), nullable=False),
    Column("business_label", String(300), nullable=False),
    Column("object_ids", JSONText, nullable=False),
    Column("message", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("payload", JSONText, nullable=True),
    Column("traceparent", String(TRACEPARENT), nullable=False),
    Column("instance_id", String(330), nullable=True),
    Column("command_id", String(26), nullable=True),
    Column("event_id", String(26), nullable=True),
    Column("occurrences", Integer, nullable=False),
    Column("observed_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("acted_by", String(120), nullable=True),
    Column("acted_at", UTCDateTime, nullable=True),
    Column("resolution", Text, nullable=True),
    Index("ix_exceptions_open", "status", "business_key"),
    Index("ix_exceptions_category", "category", "status"),
    Index("ix_exceptions_updated", "updated_at"),
)

#: Tamper-evident audit log: each entry's hash covers its content and the previous entry's hash.
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigSerial, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(120), nullable=False),
    Column("action", String(60), nullable=False),
    Column("subject", String(330), nullable=False),
    Column("details", JSONText, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

#: The chain's head, so that deleting the newest audit entries is detected too.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

#: Global ids that were merged into another (the same business entity found in two systems): the
#: old id keeps resolving to the surviving one.
xref_aliases = Table(
    "xref_aliases",
    metadata,
    Column("merged_global_id", String(26), primary_key=True),
    Column("global_id", String(26), nullable=False),
    Column("object_type", String(80), nullable=False),
    Column("merged_at", UTCDateTime, nullable=False),
    Column("merged_by", String(120), nullable=False),
    Column("reason", Text, nullable=False),
)

#: What Concord last saw of, and last wrote to, each record per system: field digests for echo
#: suppression, skipped no-change writes and the authority check of which fields a change touched.
record_memory = Table(
    "record_memory",
    metadata,
    Column("system", String(40), nullable=False),
    Column("object_type", String(80), nullable=False),
    Column("global_id", String(26), nullable=False),
    Column("system_id", String(250), nullable=True),
    Column("seen", JSONText, nullable=True),
    Column("seen_at", UTCDateTime, nullable=True),
    Column("written", JSONText, nullable=True),
    Column("written_at", UTCDateTime, nullable=True),
    PrimaryKeyConstraint("system", "object_type", "global_id", name="pk_record_memory"),
)

#: Business SLA intervals (domain.md §5), one per measure and business object: when it started, when it
#: ended, how long it took, and when Concord found it over its target.
sla_intervals = Table(
    "sla_intervals",
    metadata,
    Column("measure", String(40), nullable=False),
    Column("subject_key", String(250), nullable=False),
    Column("subject_type", String(80), nullable=False),
    Column("label", String(300), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("duration_s", BigInteger, nullable=True),
    Column("breached_at", UTCDateTime, nullable=True),
    Column("instance_id", String(330), nullable=True),
    Column("traceparent", String(TRACEPARENT), nullable=False),
    PrimaryKeyConstraint("measure", "subject_key", name="pk_sla_intervals"),
    Index("ix_sla_intervals_unbreached", "measure", "started_at", **_where("breached_at IS NULL")),
)

#: Shadow mode (``concord.connectors.shadow``): per write Concord computed for a shadowed target but did
#: not make, what it would have done to the record the target holds; one row per command (its idempotency
#: key), so a retried or replayed command adds none.
shadow_writes = Table(
    "shadow_writes",
    metadata,
    Column("seq", BigSerial, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(400), nullable=False, unique=True),
    Column("command_id", String(26), nullable=True),
    Column("system", String(40), nullable=False),
    Column("object_type", String(80), nullable=False),
    Column("global_id", String(250), nullable=False),
    Column("platform_id", String(250), nullable=True),
    Column("action", String(12), nullable=False),
    Column("diff", JSONText, nullable=False),
    Column("unread", JSONText, nullable=True),
    Column("correlation_id", String(32), nullable=False),
    Column("instance_id", String(330), nullable=True),
    Column("recorded_at", UTCDateTime, nullable=False),
    Index("ix_shadow_writes_record", "system", "object_type", "global_id"),
    Index("ix_shadow_writes_action", "system", "object_type", "action"),
)

#: Utilization (domain.md §3.2): per resource and ISO week (its Monday), the capacity, the hours assigned
#: (and their forecast labour cost) and worked, and the utilizations they make; written by the utilization
#: flow through the analytics connector (``concord.connectors.analytics``), read by ``concord utilization``.
resource_weeks = Table(
    "resource_weeks",
    metadata,
    Column("resource_id", String(26), nullable=False),
    Column("week_start", Date, nullable=False),
    Column("resource_name", String(255), nullable=True),
    Column("capacity_hours", ExactDecimal(8, 2), nullable=False),
    Column("assigned_hours", ExactDecimal(8, 2), nullable=False),
    Column("worked_hours", ExactDecimal(8, 2), nullable=False),
    Column("billable_hours", ExactDecimal(8, 2), nullable=False),
    Column("forecast_cost_amount", ExactDecimal(20, 4), nullable=True),
    Column("forecast_cost_currency", String(3), nullable=True),
    Column("assigned_utilization", ExactDecimal(10, 4), nullable=True),
    Column("worked_utilization", ExactDecimal(10, 4), nullable=True),
    Column("billable_utilization", ExactDecimal(10, 4), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("resource_id", "week_start", name="pk_resource_weeks"),
    Index("ix_resource_weeks_week", "week_start"),
)
