"""What the two posting flows (``time_to_erp``, ``expenses_to_erp``) do alike around their decisions: how
they key and name their instances (one per record, or one per employee and month), what they read for a
run (each project as the PSA and the ERP show it now, and the employee in the ERP), the project facts they
make of the answers (the ERP's record with the PSA's status and dates, which the PSA owns), and how a
judged record settles its exceptions or opens one per finding.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from pydantic import ValidationError

from concord.domain.findings import Finding
from concord.domain.keys import Stamp
from concord.domain.messages import JSON, CommandSpec, Event
from concord.domain.objects import ExpenseItem, Project, ProjectStatus, Resource, TimeEntry
from concord.domain.time_posting import ErpProjectState
from concord.engine.flows import BusinessRef, Report, StepContext
from concord.flows.config_parts import PsaErpSystems
from concord.flows.posted import SentPosting
from concord.flows.time_posting import ProjectFacts

__all__ = [
    "Booked",
    "BookedAs",
    "ReadBack",
    "RecordPosting",
    "project_facts",
    "read_back",
    "read_stamp",
    "run_reads",
    "run_subject",
]


@dataclass(frozen=True, slots=True)
class RecordPosting:
    """What a posting flow posts, and how it keys and names its instances."""

    posting: str
    """The business type of an instance, e.g. "TimePosting"."""
    record: str
    """How one record is named in labels, e.g. "Time entry"."""
    month: str
    """What an employee's month of records is called in labels, e.g. "Time"."""
    date_field: str
    """The record's field that places it in a month, e.g. "work_date"."""
    per_record: bool
    """One instance per record, instead of one per employee and month."""

    def key(self, event: Event) -> str | None:
        """The instance a record belongs to."""
        record = event.payload
        if self.per_record:
            return str(record["global_id"])
        return f"{record['resource_id']}|{str(record[self.date_field])[:7]}"

    def business(self, event: Event) -> BusinessRef:
        """The instance as the exceptions about it name it."""
        record = event.payload
        if self.per_record:
            label = f"{self.record} {record['global_id']} ({record[self.date_field]})"
        else:
            label = f"{self.month} of resource {record['resource_id']} in {str(record[self.date_field])[:7]}"
        return BusinessRef(self.posting, f"{self.posting}:{self.key(event)}", label)

    def judged(
        self,
        ctx: StepContext,
        record: TimeEntry | ExpenseItem,
        findings: Iterable[Finding],
        *,
        posted: bool,
        psa: str,
        changed_at: Mapping[str, datetime],
    ) -> None:
        """A judged record: its exceptions close when it is ``posted`` (or stays posted), and each finding
        opens one, about the record, or about its project when the project is at fault."""
        key = f"{record.SCHEMA_NAME}:{record.global_id}"
        at = changed_at.get(record.global_id, record.source_changed_at)
        if posted:
            ctx.settle(key, at)
        for finding in findings:
            ctx.report(self._report(finding, record, key, at, psa))

    def _report(
        self, finding: Finding, record: TimeEntry | ExpenseItem, key: str, at: datetime, psa: str
    ) -> Report:
        if finding.subject.object_type == "Project" and finding.subject.global_id:
            project = finding.subject.global_id
            ids = {"concord": project}
            business = BusinessRef("Project", f"Project:{project}", f"Project {project}", ids)
        else:
            ids = {**record.system_ids, "concord": record.global_id}
            label = f"{self.record} {record.system_ids.get(psa) or record.global_id}"
            business = BusinessRef(record.SCHEMA_NAME, key, label, ids)
        return Report(business, finding.category.value, finding.message, finding.rule, at)


class Booked(Protocol):
    """What a run's reads need of a record (a ``TimeEntry``, an ``ExpenseItem``, or just these fields as
    recorded): the project it is booked to, the employee, and the business transaction."""

    @property
    def project_id(self) -> str: ...
    @property
    def resource_id(self) -> str: ...
    @property
    def correlation_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class BookedAs:
    """A record's ``Booked`` fields as the event carries them (the recorder validated the record): a run
    decides what to read from them alone, without building the whole record."""

    project_id: str
    resource_id: str
    correlation_id: str

    @classmethod
    def of(cls, payload: JSON) -> BookedAs:
        return cls(str(payload["project_id"]), str(payload["resource_id"]), str(payload["correlation_id"]))


def run_reads(
    systems: PsaErpSystems,
    lists: Sequence[str],
    records: Sequence[Booked],
    approved: Collection[Booked],
    sent: Collection[SentPosting[Any]],
) -> list[CommandSpec]:
    """What a run reads: nothing when no record is ``approved`` and nothing was ``sent`` to take back;
    otherwise the ERP's ``lists`` (``list`` commands), each project of the approved records and of the
    postings sent, from the PSA and the ERP, and the records' employee from the ERP (``get`` commands)."""
    if not approved and not sent:
        return []
    projects = {r.project_id for r in approved} | {s.posting.project_id for s in sent}
    reads = [CommandSpec(systems.erp, "list", object_type, {}) for object_type in lists]
    for project_id in sorted(projects):
        reads.append(CommandSpec(systems.psa, "get", "Project", {"global_id": project_id}))
        reads.append(CommandSpec(systems.erp, "get", "Project", {"global_id": project_id}))
    resource_id, _ = run_subject(records, sent)
    reads.append(CommandSpec(systems.erp, "get", "Resource", {"global_id": resource_id}))
    return reads


def run_subject(records: Sequence[Booked], sent: Collection[SentPosting[Any]]) -> tuple[str, str]:
    """The employee a run is about and the correlation id it writes under: its records', or, once every
    record left the instance (re-dated into another month, given to another person), the postings it
    sent, which it now takes back."""
    if records:
        return records[0].resource_id, records[0].correlation_id
    posting = next(iter(sent)).posting
    return posting.resource_id, posting.correlation_id


def read_stamp(answers: Sequence[JSON], correlation_id: str) -> Stamp:
    """The stamp of what a run writes: its records' correlation id, at the time the ERP was read."""
    read_at = next(str(a["read_at"]) for a in answers if "read_at" in a)
    return Stamp(correlation_id, datetime.fromisoformat(read_at))


@dataclass(frozen=True, slots=True)
class ReadBack:
    """The answers of a run's reads, sorted out."""

    listed: list[JSON] = field(default_factory=list)
    """The answers of ``list`` commands (accounting periods, legal entities), in order."""
    projects: dict[str, ProjectFacts] = field(default_factory=dict)
    resource: Resource | None = None


def read_back(
    answers: Sequence[JSON],
    psa: str,
    resource_id: str,
    *,
    aligned: Collection[str] = frozenset(),
    per_value: bool = False,
) -> ReadBack:
    """The lists, projects and employee in the answers of ``project_reads`` and the ``list`` commands (in
    any order). ``aligned`` and ``per_value``: as ``project_facts`` takes them."""
    listed: list[JSON] = []
    psa_projects: dict[str, JSON] = {}
    erp_projects: dict[str, JSON] = {}
    resource: Resource | None = None
    for answer in answers:
        if "records" in answer:
            listed.append(answer)
        elif answer.get("global_id") == resource_id:
            if answer.get("record"):
                resource = Resource.model_validate(answer["record"])
        elif answer.get("system") == psa:
            psa_projects[str(answer["global_id"])] = answer
        else:
            erp_projects[str(answer["global_id"])] = answer
    projects = {
        project_id: project_facts(
            psa_projects.get(project_id, {}), answer, aligned=project_id in aligned, per_value=per_value
        )
        for project_id, answer in erp_projects.items()
    }
    return ReadBack(listed, projects, resource)


def project_facts(psa: JSON, erp: JSON, *, aligned: bool = False, per_value: bool = False) -> ProjectFacts:
    """The project for the checks: the ERP's record with the PSA's status and dates (the PSA owns them).

    ``aligned``: the flow has just given the ERP's project the PSA's status. ``per_value``: a PSA value that
    cannot be read is left out and the others apply; otherwise the ERP's record is taken as it is.
    """
    psa_values: JSON = psa.get("record") or psa.get("values") or {}
    erp_record = erp.get("record")
    name = f"project '{psa_values.get('name') or (erp_record or {}).get('name') or erp.get('global_id')}'"
    if not erp_record:
        return ProjectFacts(None, None, name, erp.get("invalid"))
    project = Project.model_validate(erp_record)
    erp_state = ErpProjectState(project.status)
    # When the PSA's dates do not fit the ERP's record, the checks use the ERP's.
    with contextlib.suppress(ValidationError, ValueError):
        project = project.replace(**_overlay(psa_values, per_value))
    if aligned:
        erp_state = ErpProjectState(project.status)
    return ProjectFacts(project, erp_state, name)


def _status(value: Any) -> ProjectStatus:
    return ProjectStatus(value)


def _day(value: Any) -> date:
    return date.fromisoformat(str(value))


_OWNED: tuple[tuple[str, Callable[[Any], object]], ...] = (
    ("status", _status),
    ("start_date", _day),
    ("end_date", _day),
)
"""The PSA's values of a project that override the ERP's, and how each is read."""


def _overlay(values: JSON, per_value: bool) -> dict[str, object]:
    """The PSA's status and dates, read.

    Raises:
        ValueError: one cannot be read (unless ``per_value``: then it is left out).
    """
    overlay: dict[str, object] = {}
    for name, read in _OWNED:
        if values.get(name) is None:
            continue
        try:
            overlay[name] = read(values[name])
        except ValueError:
            if not per_value:
                raise
    return overlay
