"""Published JSON Schemas: export, the committed files, and the compatibility check that guards them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from concord.cli.schema_cmd import schema_app
from concord.domain import objects
from concord.domain.schemas import (
    CANONICAL_MODELS,
    ExportStatus,
    IncompatibilityKind,
    check_compatibility,
    export_schemas,
    model_for,
    published_dir,
    schema_path,
)


@pytest.fixture
def published_copy(tmp_path: Path) -> Path:
    """A scratch copy of the committed published schemas, to tamper with."""
    copy = tmp_path / "published"
    shutil.copytree(published_dir(), copy)
    return copy


def _edit(root: Path, name: str, change: Any) -> None:
    path = schema_path(root, name, 1)
    schema = json.loads(path.read_text(encoding="utf-8"))
    change(schema)
    path.write_text(json.dumps(schema), encoding="utf-8")


class TestCommittedSchemas:
    def test_every_model_is_published_and_compatible(self) -> None:
        problems = check_compatibility()
        assert problems == [], "\n".join(problem.message for problem in problems)

    def test_each_published_file_is_the_export_of_its_version(self) -> None:
        # Published files are generated, never hand-edited: each names the object and version it holds.
        for model in CANONICAL_MODELS.values():
            path = schema_path(published_dir(), model.SCHEMA_NAME, model.SCHEMA_VERSION)
            schema = json.loads(path.read_text(encoding="utf-8"))
            assert schema["x-concord-schema"] == {"name": model.SCHEMA_NAME, "version": model.SCHEMA_VERSION}
            assert (
                path.read_text(encoding="utf-8")
                == json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            )

    def test_published_folder_has_only_registered_objects(self) -> None:
        assert {path.name for path in published_dir().iterdir()} == set(CANONICAL_MODELS)

    def test_the_registry_refuses_unknown_names_helpfully(self) -> None:
        assert model_for("TimeEntry") is objects.TimeEntry
        known = "'Timesheet' is not a canonical object; known: AccountingPeriod, Assignment"
        with pytest.raises(KeyError, match=known):
            model_for("Timesheet")


class TestExport:
    def test_writes_one_file_per_object_and_version(self, tmp_path: Path) -> None:
        results = export_schemas(tmp_path)
        assert {r.status for r in results} == {ExportStatus.WRITTEN}
        assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.json")) == sorted(
            f"{name}/v1.json" for name in CANONICAL_MODELS
        )
        schema = json.loads((tmp_path / "TimeEntry" / "v1.json").read_text(encoding="utf-8"))
        assert schema["x-concord-schema"] == {"name": "TimeEntry", "version": 1}
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert list(schema) == sorted(schema)

    def test_a_second_export_changes_nothing(self, tmp_path: Path) -> None:
        export_schemas(tmp_path)
        assert {r.status for r in export_schemas(tmp_path)} == {ExportStatus.UNCHANGED}

    def test_a_published_version_is_never_overwritten(self, tmp_path: Path) -> None:
        path = schema_path(tmp_path, "TimeEntry", 1)
        path.parent.mkdir(parents=True)
        path.write_text("{}\n", encoding="utf-8")
        [result] = export_schemas(tmp_path, [objects.TimeEntry])
        assert result.status is ExportStatus.KEPT
        assert path.read_text(encoding="utf-8") == "{}\n"


class TestBreakingChangesAreRefused:
    def test_a_field_type_change(self, published_copy: Path) -> None:
        class TimeEntry(objects.TimeEntry):
            hours: str  # type: ignore[assignment]

        [problem] = check_compatibility([TimeEntry], published_copy)
        assert problem.kind is IncompatibilityKind.TYPE_CHANGED
        assert problem.field == "hours"
        assert problem.message.startswith(
            "TimeEntry v1: field 'hours' changed type from string (format decimal"
        )
        assert "bump SCHEMA_VERSION to 2 and publish v2, or restore the field type." in problem.message

    def test_a_new_required_field(self, published_copy: Path) -> None:
        class Project(objects.Project):
            region: str

        [problem] = check_compatibility([Project], published_copy)
        assert problem.kind is IncompatibilityKind.REQUIRED_ADDED
        assert "new field 'region' is required" in problem.message
        assert "make the new field optional with a default" in problem.message

    def test_a_removed_field(self, published_copy: Path) -> None:
        _edit(published_copy, "Customer", lambda s: s["properties"].update(vat_code={"type": "string"}))
        [problem] = check_compatibility([objects.Customer], published_copy)
        assert problem.kind is IncompatibilityKind.FIELD_REMOVED
        assert "field 'vat_code' was removed" in problem.message

    def test_an_optional_field_made_required(self, published_copy: Path) -> None:
        _edit(published_copy, "TimeEntry", lambda s: s["required"].remove("billable"))
        [problem] = check_compatibility([objects.TimeEntry], published_copy)
        assert problem.kind is IncompatibilityKind.MADE_REQUIRED
        assert "field 'billable' was optional and is now required" in problem.message

    def test_an_enum_value_removed(self, published_copy: Path) -> None:
        _edit(published_copy, "Project", lambda s: s["$defs"]["ProjectStatus"]["enum"].append("archived"))
        [problem] = check_compatibility([objects.Project], published_copy)
        assert problem.kind is IncompatibilityKind.ENUM_VALUE_REMOVED
        assert "field 'status' no longer accepts the value 'archived'" in problem.message

    def test_a_nested_money_field_changed(self, published_copy: Path) -> None:
        def money_amount_was_integer(schema: dict[str, Any]) -> None:
            schema["$defs"]["Money"]["properties"]["amount"] = {"type": "integer"}

        _edit(published_copy, "InvoiceEvent", money_amount_was_integer)
        problems = check_compatibility([objects.InvoiceEvent], published_copy)
        assert {p.field for p in problems} == {
            "amount.amount",
            "lines[].amount.amount",
            "lines[].rate.amount",
        }

    def test_null_no_longer_accepted(self, published_copy: Path) -> None:
        class TimeEntry(objects.TimeEntry):
            notes: str = ""

        [problem] = check_compatibility([TimeEntry], published_copy)
        assert problem.kind is IncompatibilityKind.NULL_REFUSED

    def test_a_tighter_limit(self, published_copy: Path) -> None:
        _edit(published_copy, "Customer", lambda s: s["properties"]["name"].update(maxLength=1000))
        [problem] = check_compatibility([objects.Customer], published_copy)
        assert problem.kind is IncompatibilityKind.CONSTRAINT_TIGHTENED
        assert "field 'name' now has maxLength 255 (it was 1000)" in problem.message

    def test_a_version_bump_must_be_published(self, published_copy: Path) -> None:
        class TimeEntry(objects.TimeEntry):
            SCHEMA_VERSION: ClassVar[int] = 2

        [problem] = check_compatibility([TimeEntry], published_copy)
        assert problem.kind is IncompatibilityKind.NOT_PUBLISHED
        assert "run `concord schema export`" in problem.message

    def test_an_unreadable_published_file(self, published_copy: Path) -> None:
        schema_path(published_copy, "Contact", 1).write_text("{", encoding="utf-8")
        [problem] = check_compatibility([objects.Contact], published_copy)
        assert problem.kind is IncompatibilityKind.UNREADABLE


class TestCompatibleChangesAreAccepted:
    def test_an_optional_field_added(self, published_copy: Path) -> None:
        class TimeEntry(objects.TimeEntry):
            location: str | None = None

        assert check_compatibility([TimeEntry], published_copy) == []

    def test_an_enum_value_added(self, published_copy: Path) -> None:
        class WiderStatus(StrEnum):
            PENDING = "pending"
            ACTIVE = "active"
            ON_HOLD = "on_hold"
            CLOSED = "closed"
            ARCHIVED = "archived"

        class Project(objects.Project):
            status: WiderStatus  # type: ignore[assignment]

        assert check_compatibility([Project], published_copy) == []

    def test_documentation_changes(self, published_copy: Path) -> None:
        def reword(schema: dict[str, Any]) -> None:
            schema["description"] = "Old words."
            schema["properties"]["hours"]["title"] = "Worked hours"

        _edit(published_copy, "TimeEntry", reword)
        assert check_compatibility([objects.TimeEntry], published_copy) == []


class TestCommandLine:
    def test_export_prints_what_it_wrote(self, tmp_path: Path) -> None:
        result = CliRunner().invoke(schema_app, ["export", "--out", str(tmp_path)])
        assert result.exit_code == 0, result.output
        assert f"wrote: {tmp_path / 'TimeEntry' / 'v1.json'}" in result.output
        assert f"{len(CANONICAL_MODELS)} written, 0 already there" in result.output

    def test_check_passes_on_the_committed_schemas(self) -> None:
        result = CliRunner().invoke(schema_app, ["check"])
        assert result.exit_code == 0, result.output
        assert "compatible" in result.output

    def test_check_fails_and_explains(self, published_copy: Path) -> None:
        _edit(published_copy, "Project", lambda s: s["$defs"]["ProjectStatus"]["enum"].append("archived"))
        result = CliRunner().invoke(schema_app, ["check", "--published", str(published_copy)])
        assert result.exit_code == 1
        assert "Project v1: field 'status' no longer accepts the value 'archived'" in result.output
        assert "1 incompatible change(s) found." in result.output


def test_the_canonical_model_imports_no_infrastructure() -> None:
    code = (
        "import sys, concord.domain.money, concord.domain.objects, concord.domain.schemas\n"
        "banned = {'sqlalchemy', 'fastapi', 'httpx', 'structlog', 'typer'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in banned or m == 'concord.settings'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
