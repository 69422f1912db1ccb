"""Rules for users and custom field values."""

from __future__ import annotations

from concord.sandbox.kantata.errors import ErrorItem, invalid
from concord.sandbox.kantata.hooks import Record, WriteContext
from concord.sandbox.kantata.rules_projects import ACCOUNT_ID, changed

DEFAULT_PHOTO = "https://app.mavenlink.com/images/default_profile_photo/default.png"
_SUBJECT_COLLECTIONS = {"Workspace": "workspaces", "Story": "stories", "User": "users"}


def prepare_user(new: Record, old: Record | None, ctx: WriteContext) -> None:
    """Account, photo and enabled by default."""
    if old is None:
        new["account_id"] = ACCOUNT_ID
        new.setdefault("photo_path", DEFAULT_PHOTO)
        new.setdefault("headline", None)
    if new.get("disabled") is None:
        new["disabled"] = False


def validate_user(new: Record, old: Record | None, ctx: WriteContext) -> list[ErrorItem]:
    """E-mail addresses are unique on the account."""
    email = str(new.get("email_address") or "").strip().lower()
    if not email or not changed(new, old, "email_address"):
        return []
    if "@" not in email:
        return [invalid("email_address", "Email address is invalid")]
    taken = [user for user in ctx.reader.find("users", "email_address", str(new["email_address"]))]
    if any(user["id"] != new.get("id") for user in taken):
        return [invalid("email_address", "Email address has already been taken")]
    return []


def prepare_custom_value(new: Record, old: Record | None, ctx: WriteContext) -> None:
    """Name, type and display value come from the custom field."""
    field = ctx.reader.get("custom_fields", str(new.get("custom_field_id")))
    if field is not None:
        new["custom_field_name"] = field.get("name")
        new["type"] = field.get("value_type") or "string"
    new["display_value"] = new.get("value")
    new["setter_id"] = ctx.user_id
    new["account_id"] = ACCOUNT_ID


def validate_custom_value(new: Record, old: Record | None, ctx: WriteContext) -> list[ErrorItem]:
    """The subject exists and is of the custom field's subject type; one value per field and subject."""
    collection = _SUBJECT_COLLECTIONS.get(str(new.get("subject_type")))
    if collection is None or ctx.reader.get(collection, str(new.get("subject_id"))) is None:
        return [invalid("subject_id", "Subject must exist")]
    field = ctx.reader.get("custom_fields", str(new.get("custom_field_id")))
    if field is not None and field.get("subject_type") != new.get("subject_type"):
        return [invalid("custom_field_id", "Custom field does not apply to this subject type")]
    if old is None:
        existing = ctx.reader.find("custom_field_values", "subject_id", str(new.get("subject_id")))
        if any(
            item.get("custom_field_id") == new.get("custom_field_id")
            and item.get("subject_type") == new.get("subject_type")
            for item in existing
        ):
            return [invalid("custom_field_id", "Custom field already has a value for this subject")]
    return []
