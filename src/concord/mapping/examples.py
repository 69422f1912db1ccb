"""Examples kept beside each mapping, run like tests: platform record in, canonical fields out (and back).

``Account.Customer.examples.yaml`` holds::

    context:                        # what the examples may look up
      cross_reference:              # system → canonical object → platform id → global id
        salesforce: {Customer: {001000000000001AAA: 01HZY6M3C3X9W2Q8R5T7V4N6PA}}
      references:                   # reference table → key → value
        region_legal_entity: {North America: US}
    examples:
      - name: A taxed customer in Germany
        direction: inbound          # read: `platform` is the record, `canonical` what Concord makes of it
        platform: {Id: 001000000000001AAA, Name: Acme GmbH, ...}
        canonical: {name: Acme GmbH, ...}
      - name: A new customer written to Salesforce
        direction: outbound         # write: `canonical` goes in, `platform` is the body sent
        canonical: {name: Acme GmbH, ...}
        global_id: 01HZY6M3C3X9W2Q8R5T7V4N6PA
        platform: {Name: Acme GmbH, Concord_Id__c: 01HZY6M3C3X9W2Q8R5T7V4N6PA, ...}
      - name: An unknown pricing model is refused
        direction: inbound
        platform: {...}
        error: Pricing_Model__c     # the failure must mention this

Expected canonical values are compared in their canonical form (``hours: 7.5`` equals ``"7.50"``). An
inbound example of a mapping that covers every required field is also validated as a whole record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from concord.engine.errors import CannotEncode
from concord.mapping.canonical import resolve
from concord.mapping.context import MemoryContext
from concord.mapping.errors import MappingFailure, Problem
from concord.mapping.loader import EXAMPLES_SUFFIX
from concord.mapping.paths import get_path
from concord.mapping.runtime import Lineage, ObjectMapping
from concord.mapping.shape import check_shape
from concord.mapping.transforms import show
from concord.mapping.yamlfile import YamlFile, read_yaml

__all__ = ["ExampleResult", "ExamplesFile", "examples_path", "load_examples", "run_examples"]

EXAMPLE_TIME = "2026-01-01T00:00:00Z"
EXAMPLE_CORRELATION = "0" * 32


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContextSpec(_Strict):
    """What examples may look up: known cross-references and reference tables."""

    cross_reference: dict[str, dict[str, dict[Any, Any]]] = Field(default_factory=dict)
    references: dict[str, dict[Any, Any]] = Field(default_factory=dict)


class ExampleSpec(_Strict):
    """One example."""

    name: str
    direction: Literal["inbound", "outbound"]
    platform: dict[str, Any] | None = None
    canonical: dict[str, Any] | None = None
    global_id: str | None = None
    correlation_id: str | None = None
    error: str | None = None
    context: ContextSpec | None = None


class ExamplesSpec(_Strict):
    """An examples file."""

    context: ContextSpec = Field(default_factory=ContextSpec)
    examples: list[ExampleSpec] = Field(min_length=1)


@dataclass
class ExamplesFile:
    """A checked examples file, with the line of each example."""

    file: YamlFile
    spec: ExamplesSpec

    def line(self, index: int) -> int:
        """The line where example ``index`` starts."""
        return self.file.line(("examples", index))


@dataclass
class ExampleResult:
    """What running one example showed."""

    mapping: ObjectMapping
    name: str
    direction: str
    line: int
    problems: list[str] = field(default_factory=list)
    """Differences from what the example expects, and values the canonical model refuses."""
    output: dict[str, Any] | None = None
    """The canonical values (inbound) or platform body (outbound) the mapping made."""
    lineage: dict[str, Lineage] = field(default_factory=dict)
    error: str | None = None
    """The failure the mapping raised, if any."""

    @property
    def passed(self) -> bool:
        """Whether the example came out as expected."""
        return not self.problems


def examples_path(mapping: ObjectMapping) -> Path:
    """Where a mapping's examples live."""
    return mapping.path.with_name(mapping.path.name.removesuffix(mapping.path.suffix) + EXAMPLES_SUFFIX)


def _check_meaning(mapping: ObjectMapping, file: YamlFile, spec: ExamplesSpec) -> list[Problem]:
    problems: list[Problem] = []
    for index, example in enumerate(spec.examples):
        loc = ("examples", index)
        if example.direction not in mapping.directions:
            problems.append(
                file.problem((*loc, "direction"), f"{mapping.path.name} does not run {example.direction}")
            )
        given, expected = (
            ("platform", "canonical") if example.direction == "inbound" else ("canonical", "platform")
        )
        if getattr(example, given) is None:
            problems.append(
                file.problem(loc, f"an {example.direction} example needs `{given}:` (what goes in)")
            )
        if example.error is None and getattr(example, expected) is None:
            problems.append(
                file.problem(
                    loc, f"say what should come out: `{expected}:`, or `error:` with words the failure names"
                )
            )
        for name in example.canonical or {}:
            found = resolve(mapping.model, str(name))
            if isinstance(found, str):
                problems.append(file.problem((*loc, "canonical", name), found))
    return problems


def load_examples(mapping: ObjectMapping) -> tuple[ExamplesFile | None, list[Problem]]:
    """The examples of ``mapping`` and the problems in their file (a missing file is one)."""
    path = examples_path(mapping)
    if not path.is_file():
        return None, [
            Problem(mapping.path, 1, f"{mapping.path.name} has no examples; write them in {path.name}")
        ]
    parsed, problems = read_yaml(path)
    if parsed is None:
        return None, problems
    spec, shape_problems = check_shape(ExamplesSpec, parsed)
    problems += shape_problems
    if spec is None:
        return None, problems
    problems += _check_meaning(mapping, parsed, spec)
    return (ExamplesFile(parsed, spec) if not problems else None), problems


def _context(shared: ContextSpec, own: ContextSpec | None) -> MemoryContext:
    cross: dict[str, dict[str, dict[str, str]]] = {}
    references: dict[str, dict[str, Any]] = {}
    for spec in (shared, own):
        if spec is None:
            continue
        for system, objects in spec.cross_reference.items():
            for object_type, ids in objects.items():
                known = cross.setdefault(system, {}).setdefault(object_type, {})
                known.update({str(k): str(v) for k, v in ids.items()})
        for table, rows in spec.references.items():
            references.setdefault(table, {}).update({str(k): v for k, v in rows.items()})
    return MemoryContext(cross, references)


def _canonical_json(
    mapping: ObjectMapping, values: Mapping[str, Any], what: str
) -> tuple[dict[str, Any], list[str]]:
    """``values`` with each field in its canonical JSON form, and the fields the model refuses."""
    result: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in values.items():
        target = resolve(mapping.model, str(name))
        if isinstance(target, str):
            problems.append(f"{what}: {target}")
            continue
        try:
            result[str(name)] = None if value is None else target.to_json(value)
        except ValidationError as exc:
            reasons = "; ".join(error["msg"] for error in exc.errors(include_url=False))
            problems.append(f"{what} {name} {show(value)} is not a valid {target.path}: {reasons}")
    return result, problems


def _differences(expected: Mapping[str, Any], actual: Mapping[str, Any], prefix: str = "") -> list[str]:
    found = []
    for key in sorted(set(expected) | set(actual), key=str):
        path = f"{prefix}{key}"
        if key not in actual:
            found.append(f"{path}: expected {show(expected[key])}, but the mapping gave nothing")
        elif key not in expected:
            found.append(f"{path}: the mapping gave {show(actual[key])}, which the example does not expect")
        elif isinstance(expected[key], Mapping) and isinstance(actual[key], Mapping):
            found += _differences(expected[key], actual[key], f"{path}.")
        elif expected[key] != actual[key] or isinstance(expected[key], bool) != isinstance(actual[key], bool):
            found.append(f"{path}: expected {show(expected[key])}, got {show(actual[key])}")
    return found


def _complete(mapping: ObjectMapping) -> bool:
    """Whether the mapping fills every required field (so its output can be validated as a record)."""
    return not any(mapping.model.model_fields[name].is_required() for name in mapping.unmapped)


def _run_inbound(
    mapping: ObjectMapping, example: ExampleSpec, context: MemoryContext, result: ExampleResult
) -> None:
    record = example.platform or {}
    try:
        mapped = mapping.to_canonical(record, context)
    except MappingFailure as exc:
        result.error = str(exc)
        return
    result.output, result.lineage = mapped.values, mapped.lineage
    actual, invalid = _canonical_json(mapping, mapped.values, "the mapped value of")
    result.problems += invalid
    if example.canonical is not None:
        expected, problems = _canonical_json(mapping, example.canonical, "the example's")
        result.problems += problems + _differences(expected, actual)
    if _complete(mapping) and not invalid:
        record_id = str(get_path(record, mapping.id_field) or "example")
        envelope = {
            "global_id": context.global_id(mapping.platform, mapping.canonical, record_id),
            "system_ids": {mapping.platform: record_id},
            "source_system": mapping.platform,
            "source_changed_at": EXAMPLE_TIME,
            "correlation_id": EXAMPLE_CORRELATION,
        }
        try:
            mapped.record(envelope)
        except MappingFailure as exc:
            result.problems.append(f"the canonical record is not valid: {exc}")


def _run_outbound(
    mapping: ObjectMapping, example: ExampleSpec, context: MemoryContext, result: ExampleResult
) -> None:
    values, problems = _canonical_json(mapping, example.canonical or {}, "the example's")
    result.problems += problems
    if problems:
        return
    try:
        body = mapping.to_platform(
            values, context, global_id=example.global_id, correlation_id=example.correlation_id
        )
    except CannotEncode as exc:
        result.error = str(exc)
        return
    result.output = body
    if example.platform is not None:
        result.problems += _differences(example.platform, body)


def run_examples(mapping: ObjectMapping, examples: ExamplesFile) -> list[ExampleResult]:
    """Run every example of ``mapping``; one result each, in file order."""
    results = []
    for index, example in enumerate(examples.spec.examples):
        result = ExampleResult(mapping, example.name, example.direction, examples.line(index))
        context = _context(examples.spec.context, example.context)
        if example.direction == "inbound":
            _run_inbound(mapping, example, context, result)
        else:
            _run_outbound(mapping, example, context, result)
        if example.error is not None:
            if result.error is None:
                result.problems.append(
                    f"expected a failure mentioning {example.error!r}, but the record mapped"
                )
            elif example.error.lower() not in result.error.lower():
                result.problems.append(f"the failure does not mention {example.error!r}: {result.error}")
            else:
                result.problems = [p for p in result.problems if p.startswith("the example's")]
        elif result.error is not None:
            result.problems.append(f"the mapping failed: {result.error}")
        results.append(result)
    return results
