"""Checking a parsed YAML file against a format model, with each problem at its line and in plain words.

pydantic finds the problems (unknown keys, missing keys, wrong types); this module says them the way an
analyst reads them: ``Account.Customer.yaml:14: unknown key 'platfrom' (did you mean 'platform'?);
allowed here: canonical, platform, transform, ...``.
"""

from __future__ import annotations

import types
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from concord.mapping.canonical import close_to
from concord.mapping.errors import Problem
from concord.mapping.yamlfile import YamlFile

__all__ = ["check_shape"]

M = TypeVar("M", bound=BaseModel)

_TYPE_WORDS = {
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "int_type": "a whole number",
}


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) in (Union, types.UnionType, list, dict):
        return [m for arg in get_args(annotation) for m in _models_in(arg)]
    return []


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The format model that holds the key at the end of ``loc`` (for listing the allowed keys)."""
    current: type[BaseModel] | None = root
    for part in loc[:-1]:
        if current is None or isinstance(part, int):
            continue
        by_key = {info.alias or name: info for name, info in current.model_fields.items()}
        info = by_key.get(part)
        if info is None:
            continue
        found = _models_in(info.annotation)
        current = found[0] if found else None
    return current


def _data_loc(file: YamlFile, loc: tuple[Any, ...], kind: str) -> tuple[Any, ...]:
    """``loc`` walked through the data, without pydantic's union-member labels (``str``, ``list[str]``)."""
    kept: list[Any] = []
    current = file.data
    for index, part in enumerate(loc):
        if (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        ):
            current = current[part]
        elif kind == "missing" and index == len(loc) - 1 and isinstance(current, dict):
            pass  # a missing key: it names a place in the data that is not there
        else:
            continue
        kept.append(part)
    return tuple(kept)


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in loc).replace(".[", "[")


def _message(
    root: type[BaseModel], file: YamlFile, error: Any, at: tuple[Any, ...]
) -> tuple[tuple[Any, ...], str]:
    kind = error["type"]
    relative = tuple(error["loc"])
    loc = _data_loc(file, (*at, *relative), kind)
    key = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        model = _model_at(root, relative)
        allowed = _keys_of(model) if model else []
        hint = close_to(str(key), allowed)
        listing = f"; allowed here: {', '.join(allowed)}" if allowed else ""
        return loc, f"unknown key '{key}'{hint}{listing}"
    if kind == "missing":
        return loc, f"'{key}' is missing; add it" + (f" under {_where(loc[:-1])}" if len(loc) > 1 else "")
    if kind in _TYPE_WORDS:
        return loc, f"{_where(loc) or 'the file'} should be {_TYPE_WORDS[kind]}, not {error.get('input')!r}"
    if kind == "too_short" and key == "fields":
        return loc, "'fields' lists no rules; add at least one `- canonical: ... platform: ...`"
    return loc, f"{_where(loc)}: {error['msg']}"


def check_shape(model: type[M], file: YamlFile, at: tuple[Any, ...] = ()) -> tuple[M | None, list[Problem]]:
    """The data at ``at`` (default: the whole file) validated as ``model``; the model (None if invalid)
    and one problem per place."""
    data: Any = file.data
    for part in at:
        data = data[part]
    if not isinstance(data, dict):
        what = "empty" if data is None else f"{data!r}"[:60]
        where = f"{_where(at)} is" if at else "the file is"
        return None, [
            file.problem(
                at, f"{where} {what}; it must be a mapping of keys ({', '.join(_keys_of(model)[:3])}, ...)"
            )
        ]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems: dict[tuple[Any, ...], Problem] = {}
        for error in exc.errors(include_url=False):
            loc, message = _message(model, file, error, at)
            problems.setdefault(loc, file.problem(loc, message))
        return None, list(problems.values())
