"""Turning a mapping file into an ``ObjectMapping``, checking what it means on the way.

``shape`` has already checked the keys and types; here every rule is checked against the canonical
model and the transforms: the canonical field exists and is not part of the envelope, the transform
exists, takes those options and makes that kind of value, a two-way rule can be written back, a hook
can be imported, no canonical field is mapped twice in one direction, and every required canonical
field is either mapped or listed under ``unmapped`` with the reason. Every problem is reported with
its line and a fix, and all of them are collected before giving up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from concord.domain.objects import CanonicalRecord
from concord.mapping.canonical import CANONICAL_MODELS, FieldTarget, Kind, business_fields, close_to, resolve
from concord.mapping.conditions import Condition
from concord.mapping.errors import Problem
from concord.mapping.hooks import HookRef, import_hook
from concord.mapping.paths import ABSENT
from concord.mapping.runtime import FieldRule, ObjectMapping
from concord.mapping.shape import check_shape
from concord.mapping.spec import ConditionSpec, DirectionName, FieldSpec, HookSpec, MappingSpec
from concord.mapping.transforms import BuildContext, Reporter, Transform, build_transform, show, value_key
from concord.mapping.transforms.scalars import Copy
from concord.mapping.yamlfile import YamlFile

__all__ = ["compile_mapping", "expected_file_name"]

_SYSTEM = re.compile(r"^[a-z][a-z0-9_]*$")
_PLATFORM_PATH = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$")


def expected_file_name(platform_object: str, canonical: str) -> str:
    """The name a mapping file must have: ``<platform object>.<canonical object>.yaml``."""
    return f"{platform_object}.{canonical}.yaml"


def _directions(name: DirectionName) -> frozenset[str]:
    return frozenset({"inbound", "outbound"}) if name == "both" else frozenset({name})


def _words(directions: frozenset[str]) -> str:
    return "both ways" if len(directions) == 2 else next(iter(directions))


def _overlap(rule: FieldRule, other: FieldRule) -> bool:
    """Whether two rules fill the same canonical field (or one a field inside the other's) one same way."""
    if not rule.directions & other.directions:
        return False
    path, other_path = rule.target.path, other.target.path
    return path == other_path or path.startswith(other_path + ".") or other_path.startswith(path + ".")


def build_condition(
    spec: ConditionSpec, report: Reporter, model: type[CanonicalRecord] | None
) -> Condition | None:
    """A condition from its file form (``model`` None: only platform fields may be tested)."""
    given = {
        "equals": "equals" in spec.model_fields_set,
        "in": spec.in_ is not None,
        "present": spec.present is not None,
    }
    tests = [name for name, present in given.items() if present]
    failed = report.count
    if (spec.platform is None) == (spec.canonical is None):
        report.fail("a condition tests one field: give `platform: <field>` or `canonical: <field>`")
    elif spec.canonical is not None and model is None:
        report.fail("which records a mapping reads can only depend on platform fields; use `platform:`")
    if len(tests) != 1:
        report.fail("a condition has one test: `equals: <value>`, `in: [values]` or `present: true/false`")
    if report.count > failed:
        return None
    side: Literal["platform", "canonical"] = "platform" if spec.platform is not None else "canonical"
    path = str(spec.platform if spec.platform is not None else spec.canonical)
    if side == "canonical" and model is not None:
        found = resolve(model, path)
        if isinstance(found, str):
            report.fail(found, "canonical")
            return None
    if spec.present is not None:
        return Condition(side, path, "present", present=spec.present)
    if spec.in_ is not None:
        if not spec.in_:
            report.fail("`in` lists no values", "in")
            return None
        return Condition(side, path, "in", tuple(value_key(v) for v in spec.in_))
    return Condition(side, path, "equals", (value_key(spec.equals),))


@dataclass
class _Compiler:
    file: YamlFile
    spec: MappingSpec
    problems: list[Problem]
    indexes: dict[int, int] = field(default_factory=dict)
    """id(rule) → its position under ``fields``, for pointing at it."""

    def report(self, *loc: str | int) -> Reporter:
        return Reporter(self.file, tuple(loc), self.problems)

    def fail(self, message: str, *loc: str | int) -> None:
        self.problems.append(self.file.problem(loc, message))

    def line(self, *loc: str | int) -> int:
        return self.file.line(loc)

    # -- the whole file ----------------------------------------------------------------------------

    def compile(self) -> ObjectMapping | None:
        spec = self.spec
        if not _SYSTEM.match(spec.platform):
            self.fail(
                f"platform '{spec.platform}' must be a lower-case system name such as salesforce", "platform"
            )
        model = CANONICAL_MODELS.get(spec.canonical)
        if model is None:
            names = sorted(CANONICAL_MODELS)
            self.fail(
                f"'{spec.canonical}' is not a canonical object{close_to(spec.canonical, names)}; "
                f"use one of {', '.join(names)}",
                "canonical",
            )
            return None
        expected = expected_file_name(spec.object, spec.canonical)
        if self.file.path.name != expected:
            self.fail(
                f"this file maps {spec.object} to {spec.canonical}, so name it {expected}",
                "object",
            )
        directions = _directions(spec.direction)
        only_when = (
            build_condition(spec.only_when, self.report("only_when"), None) if spec.only_when else None
        )
        self._check_children()
        rules = []
        for index in range(len(spec.fields)):
            rule_spec, shape_problems = check_shape(FieldSpec, self.file, ("fields", index))
            self.problems += shape_problems
            if rule_spec is None:
                continue
            rule = self._rule(index, rule_spec, model, directions)
            if rule is not None:
                self.indexes[id(rule)] = index
                rules.append(rule)
        self._check_duplicates(rules)
        self._check_unmapped(model, rules, directions)
        self._check_reserved_fields(rules)
        return ObjectMapping(
            path=self.file.path,
            platform=spec.platform,
            platform_object=spec.object,
            canonical=spec.canonical,
            model=model,
            id_field=spec.id_field,
            external_id_field=spec.external_id_field,
            correlation_field=spec.correlation_field,
            stamp_field=spec.stamp_field,
            directions=directions,
            rules=tuple(rules),
            only_when=only_when,
            children={name: tuple(fields) for name, fields in spec.children.items()},
            write_constants=spec.write_constants,
            unmapped=spec.unmapped,
        )

    def _check_children(self) -> None:
        for name, fields in self.spec.children.items():
            if not fields:
                self.fail(f"list the fields to read of each {name} record", "children", name)
            for index, field_name in enumerate(fields):
                if not _PLATFORM_PATH.match(field_name):
                    self.fail(f"'{field_name}' is not a platform field name", "children", name, index)

    def _check_duplicates(self, rules: list[FieldRule]) -> None:
        kept: list[FieldRule] = []
        written: dict[str, FieldRule] = {}
        for rule in rules:
            clash = next((other for other in kept if _overlap(rule, other)), None)
            if clash is None:
                kept.append(rule)
            else:
                shared = _words(rule.directions & clash.directions)
                self.fail(
                    f"'{rule.target.path}' is already mapped {shared} on line {clash.line} "
                    f"('{clash.target.path}'); keep one rule, or give each a different `direction`",
                    *self._loc_of(rule, "canonical"),
                )
            if "outbound" in rule.directions and rule.writer is None and rule.platform:
                target = rule.platform[0]
                if target in written:
                    self.fail(
                        f"{target} is already written by the rule on line {written[target].line}; "
                        "write each platform field from one canonical field, or add `direction: inbound`",
                        *self._loc_of(rule, "platform"),
                    )
                written.setdefault(target, rule)

    def _loc_of(self, rule: FieldRule, key: str) -> tuple[str | int, ...]:
        return ("fields", self.indexes[id(rule)], key)

    def _check_unmapped(
        self, model: type[CanonicalRecord], rules: list[FieldRule], directions: frozenset[str]
    ) -> None:
        inbound = {rule.target.top: rule for rule in rules if "inbound" in rule.directions}
        # A rule that failed is reported already; its field is not reported again as unmapped.
        compiled = set(self.indexes.values())
        failed = {
            str(raw.get("canonical", "")).split(".", 1)[0]
            for index, raw in enumerate(self.spec.fields)
            if index not in compiled and isinstance(raw, dict)
        }
        known = business_fields(model)
        for name, reason in self.spec.unmapped.items():
            if name not in known:
                self.fail(
                    f"{model.SCHEMA_NAME} has no field '{name}'{close_to(name, known)}", "unmapped", name
                )
            elif name in inbound:
                self.fail(
                    f"'{name}' is mapped on line {inbound[name].line}; remove it from `unmapped`",
                    "unmapped",
                    name,
                )
            elif not str(reason).strip():
                self.fail(f"say why the platform cannot provide '{name}'", "unmapped", name)
        if "inbound" not in directions:
            return
        for name in known:
            info = model.model_fields[name]
            covered = name in inbound or name in failed
            if info.is_required() and not covered and name not in self.spec.unmapped:
                self.fail(
                    f"{model.SCHEMA_NAME} needs '{name}', but no inbound rule fills it; map it, or list it "
                    "under `unmapped:` with the reason the platform cannot provide it",
                    "fields",
                )

    def _check_reserved_fields(self, rules: list[FieldRule]) -> None:
        reserved = {
            self.spec.id_field: "id_field, which the platform sets",
            self.spec.stamp_field: "stamp_field, which the platform sets",
            self.spec.external_id_field: "external_id_field, which Concord writes itself",
            self.spec.correlation_field: "correlation_field, which Concord writes itself",
        }
        reserved |= {
            name: "write_constants, which Concord writes itself" for name in self.spec.write_constants
        }
        for rule in rules:
            if "outbound" not in rule.directions or rule.writer is not None or not rule.platform:
                continue
            key = reserved.get(rule.platform[0])
            if key is not None:
                self.fail(
                    f"{rule.platform[0]} is also the mapping's {key}; "
                    "map this field inbound only (`direction: inbound`) or choose another field",
                    *self._loc_of(rule, "platform"),
                )

    # -- one rule ----------------------------------------------------------------------------------

    def _rule(
        self, index: int, spec: FieldSpec, model: type[CanonicalRecord], mapping_directions: frozenset[str]
    ) -> FieldRule | None:
        loc: tuple[str | int, ...] = ("fields", index)
        failed = len(self.problems)
        target = resolve(model, spec.canonical)
        if isinstance(target, str):
            self.fail(target, *loc, "canonical")
            return None
        directions = _directions(spec.direction) if spec.direction else mapping_directions
        if not directions <= mapping_directions:
            self.fail(
                f"this mapping runs {_words(mapping_directions)}, so a rule cannot run {_words(directions)}; "
                f"change the rule's direction or the mapping's",
                *loc,
                "direction",
            )
            return None
        platform = self._platform(spec, loc)
        reader, writer = self._hooks(spec, loc)
        default = self._default(spec, target, loc)
        if not platform and reader is None:
            if default is ABSENT:
                self.fail(
                    "say which platform field holds this value (platform: <field>), "
                    "give a `default:`, or use a hook",
                    *loc,
                )
                return None
            if writer is None:
                # A constant has nothing to write: it only fills the canonical field when reading.
                if "inbound" not in directions:
                    self.fail("an outbound rule needs the platform field it writes (platform: <field>)", *loc)
                    return None
                directions = frozenset({"inbound"})
        transform = self._transform(spec, target, platform, reader, loc)
        when = build_condition(spec.when, self.report(*loc, "when"), model) if spec.when else None
        if transform is None or len(self.problems) > failed:
            return None
        self._check_directions(spec, transform, directions, platform, reader, writer, loc)
        if spec.id_object and len(platform) != 1:
            self.fail("id_object applies to a rule with one platform field", *loc, "id_object")
        if len(self.problems) > failed:
            return None
        return FieldRule(
            target=target,
            platform=platform,
            transform=transform,
            directions=directions,
            path=self.file.path,
            line=self.line(*loc),
            default=default,
            when=when,
            reader=reader,
            writer=writer,
            id_object=spec.id_object,
        )

    def _platform(self, spec: FieldSpec, loc: tuple[str | int, ...]) -> tuple[str, ...]:
        raw = spec.platform
        paths = () if raw is None else (raw,) if isinstance(raw, str) else tuple(raw)
        for position, path in enumerate(paths):
            if not _PLATFORM_PATH.match(path):
                where = (*loc, "platform", position) if isinstance(raw, list) else (*loc, "platform")
                self.fail(
                    f"'{path}' is not a platform field name; use the API name (letters, digits, _), "
                    "dotted into related records (Account.Name)",
                    *where,
                )
        if isinstance(raw, list) and not raw:
            self.fail("`platform` lists no fields", *loc, "platform")
        return paths

    def _hooks(self, spec: FieldSpec, loc: tuple[str | int, ...]) -> tuple[HookRef | None, HookRef | None]:
        if spec.hook is None:
            return None, None
        refs: dict[str, str | None]
        if isinstance(spec.hook, HookSpec):
            refs = {"inbound": spec.hook.inbound, "outbound": spec.hook.outbound}
            if not any(refs.values()):
                self.fail("name the hook: {inbound: package.module:function} and/or outbound", *loc, "hook")
        else:
            refs = {"inbound": spec.hook, "outbound": None}
        found: dict[str, HookRef | None] = {}
        for direction, reference in refs.items():
            found[direction] = None
            if reference is None:
                continue
            imported = import_hook(reference)
            if isinstance(imported, str):
                where = (*loc, "hook", direction) if isinstance(spec.hook, HookSpec) else (*loc, "hook")
                self.fail(imported, *where)
            else:
                found[direction] = imported
        return found["inbound"], found["outbound"]

    def _default(self, spec: FieldSpec, target: FieldTarget, loc: tuple[str | int, ...]) -> Any:
        if "default" not in spec.model_fields_set:
            return ABSENT
        value = spec.default
        if value is None:
            self.fail("a default of nothing is the same as no default; remove `default:`", *loc, "default")
            return ABSENT
        try:
            return target.to_json(value)
        except ValidationError as exc:
            reason = "; ".join(error["msg"] for error in exc.errors(include_url=False))
            allowed = target.allowed_values()
            hint = f"; use one of {', '.join(allowed)}" if allowed else ""
            self.fail(
                f"the default {show(value)} does not fit {target.path}: {reason}{hint}", *loc, "default"
            )
            return ABSENT

    def _transform(
        self,
        spec: FieldSpec,
        target: FieldTarget,
        platform: tuple[str, ...],
        reader: HookRef | None,
        loc: tuple[str | int, ...],
    ) -> Transform | None:
        if not platform and reader is None:
            if spec.transform is not None:
                self.fail(
                    "a transform needs a platform field to read; remove it or add `platform:`",
                    *loc,
                    "transform",
                )
                return None
            return Copy(target.kind, tuple(target.allowed_values()))
        if reader is not None and spec.transform is None:
            # A hook may hand back the canonical form itself (an amount, a list of lines).
            passthrough = Kind.OBJECT if target.kind in (Kind.MONEY, Kind.OBJECT) else target.kind
            return Copy(passthrough, tuple(target.allowed_values()))
        inputs = (reader.name,) if reader is not None else platform
        context = BuildContext(target, inputs, self.spec.platform, self.report(*loc, "transform"))
        return build_transform(spec.transform, context)

    def _check_directions(
        self,
        spec: FieldSpec,
        transform: Transform,
        directions: frozenset[str],
        platform: tuple[str, ...],
        reader: HookRef | None,
        writer: HookRef | None,
        loc: tuple[str | int, ...],
    ) -> None:
        where = (*loc, "transform") if spec.transform is not None else loc
        if "outbound" in directions and writer is None:
            if reader is not None:
                self.fail(
                    "a reading hook cannot write this field back; add `direction: inbound`, "
                    "or an outbound hook: hook: {inbound: ..., outbound: ...}",
                    *loc,
                    "hook",
                )
            elif len(platform) > 1 and not transform.many_inputs:
                self.fail("a rule that writes needs one platform field to write to", *loc, "platform")
            elif (problem := transform.outbound_problem()) is not None:
                self.fail(problem, *where)
        if (
            "inbound" in directions
            and reader is None
            and (problem := transform.inbound_problem()) is not None
        ):
            self.fail(problem, *where)


def compile_mapping(file: YamlFile) -> tuple[ObjectMapping | None, list[Problem]]:
    """The mapping a parsed file declares, and every problem found in it (the mapping is None if any)."""
    spec, problems = check_shape(MappingSpec, file)
    if spec is None:
        return None, problems
    mapping = _Compiler(file, spec, problems).compile()
    return (mapping if not problems else None), problems
