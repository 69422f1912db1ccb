"""Reading a flow's configuration file (YAML) into its pydantic model, refusing a file that cannot be used
with every problem as ``file:line: what is wrong; how to fix it``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from concord.mapping.errors import Problem
from concord.mapping.yamlfile import YamlFile, read_yaml
from concord.settings import ConfigError

__all__ = ["load_config_file"]

M = TypeVar("M", bound=BaseModel)


def load_config_file(model: type[M], path: Path, what: str) -> M:
    """The configuration in ``path`` as a ``model``; ``what`` names it in errors ("provisioning
    configuration").

    Raises:
        ConfigError: the file cannot be used; the message lists every problem with its line and fix.
    """
    file, problems = read_yaml(path)
    if file is None or problems:
        raise _error(problems, what)
    if not isinstance(file.data, Mapping):
        raise _error([file.problem((), "the file must be a mapping of settings")], what)
    try:
        return model.model_validate(file.data)
    except ValidationError as error:
        items = error.errors(include_url=False)
        raise _error([_problem(file, item) for item in items if not _echo(item, items)], what) from None


def _echo(item: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> bool:
    """A list said to be too short only because one of its items was refused (reported already)."""
    loc = tuple(item["loc"])
    return item["type"] == "too_short" and any(
        len(other["loc"]) > len(loc) and tuple(other["loc"][: len(loc)]) == loc for other in items
    )


def _problem(file: YamlFile, item: Mapping[str, Any]) -> Problem:
    loc: Sequence[str | int] = [part for part in item["loc"] if isinstance(part, str | int)]
    where = ".".join(str(part) for part in loc)
    message = str(item["msg"]).removeprefix("Value error, ")
    if item["type"] == "extra_forbidden":
        message = f"'{loc[-1]}' is not a setting here; remove it or check its spelling"
    elif item["type"] == "missing":
        message = f"{where} is missing; add it"
    elif where:
        message = f"{where}: {message}; fix this value"
    else:
        message = f"{message}; fix the file"
    return file.problem(loc, message)


def _error(problems: Sequence[Problem], what: str) -> ConfigError:
    ordered = sorted(problems)
    if len(ordered) == 1:
        return ConfigError(str(ordered[0]))
    lines = "\n".join(f"  {problem}" for problem in ordered)
    return ConfigError(f"{len(ordered)} problems in the {what}:\n{lines}")
