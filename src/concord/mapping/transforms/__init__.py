"""The named transforms a mapping file may use, and how a ``transform:`` entry becomes one.

A rule says ``transform: date`` (a name) or ``transform: {money: {currency_field: CurrencyIsoCode}}``
(a name and its options). Without ``transform`` a rule copies the value, converted to the canonical
field's type (see ``scalars.Copy``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from concord.mapping.canonical import close_to
from concord.mapping.transforms.base import (
    BadValue,
    BuildContext,
    Reader,
    Reporter,
    Transform,
    TransformFactory,
    Writer,
    json_ready,
    show,
)
from concord.mapping.transforms.enums import build_enum, value_key
from concord.mapping.transforms.links import build_lookup, build_reference
from concord.mapping.transforms.money import build_money
from concord.mapping.transforms.scalars import (
    build_copy,
    build_date,
    build_datetime,
    build_decimal,
    build_hours,
    build_negate,
)
from concord.mapping.transforms.text import build_concat, build_split

__all__ = [
    "TRANSFORMS",
    "BadValue",
    "BuildContext",
    "Reader",
    "Reporter",
    "Transform",
    "Writer",
    "build_transform",
    "json_ready",
    "show",
    "value_key",
]

TRANSFORMS: Final[Mapping[str, TransformFactory]] = MappingProxyType(
    {
        "copy": build_copy,
        "date": build_date,
        "datetime": build_datetime,
        "decimal": build_decimal,
        "hours": build_hours,
        "money": build_money,
        "enum": build_enum,
        "lookup": build_lookup,
        "reference": build_reference,
        "concat": build_concat,
        "split": build_split,
        "negate": build_negate,
    }
)
"""Transform name → the function that builds it from its options."""


def build_transform(raw: Any, ctx: BuildContext) -> Transform | None:
    """The transform a rule's ``transform:`` entry names (``copy`` when None); None after reporting."""
    if raw is None:
        name, args = "copy", None
    elif isinstance(raw, str):
        name, args = raw, None
    elif isinstance(raw, dict) and len(raw) == 1:
        ((name, args),) = raw.items()
    else:
        ctx.report.fail(
            "a transform is a name (transform: date) or one name with its options "
            "(transform: {money: {currency_field: CurrencyIsoCode}}); write one transform per rule"
        )
        return None
    factory = TRANSFORMS.get(str(name))
    if factory is None:
        names = sorted(TRANSFORMS)
        ctx.report.fail(
            f"there is no transform '{name}'{close_to(str(name), names)}; "
            f"the transforms are {', '.join(names)} "
            "(or use a hook for code)"
        )
        return None
    inner = BuildContext(
        ctx.target, ctx.platform, ctx.system, ctx.report.at(str(name)) if args is not None else ctx.report
    )
    transform = factory(args, inner)
    if transform is None:
        return None
    if transform.produces is not None and ctx.target.kind not in transform.produces:
        made = " or ".join(sorted(kind.value for kind in transform.produces))
        ctx.report.fail(
            f"`{transform.name}` makes {made}, but {ctx.target.path} is {ctx.target.kind.value}; "
            "use a transform that fits, or leave the transform out to copy the value"
        )
        return None
    if transform.many_inputs != (len(ctx.platform) > 1):
        if transform.many_inputs:
            ctx.report.fail(f"`{transform.name}` reads several platform fields; list them: platform: [A, B]")
        else:
            ctx.report.fail(
                f"`{transform.name}` reads one platform field, but this rule lists {len(ctx.platform)}; "
                "use `concat` to join them, or a hook"
            )
        return None
    return transform
