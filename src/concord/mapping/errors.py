"""What goes wrong with mappings: a file that cannot be used, and a record that cannot be mapped.

``MappingError`` is a configuration error: it lists every problem found in every mapping file, each as
``file:line: what is wrong; how to fix it``. ``MappingFailure`` is a runtime error about one platform
record read (inbound); a canonical record that cannot be written to a platform (outbound) raises the
engine's ``CannotEncode`` instead, so the engine parks it like any other unencodable command.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from concord.settings import ConfigError

__all__ = ["MappingError", "MappingFailure", "Problem", "display_path"]


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one file, at one line."""

    path: Path
    line: int
    message: str
    """What is wrong and how to fix it, as a sentence."""

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}: {self.message}"


class MappingError(ConfigError):
    """Mapping files that cannot be used; ``problems`` lists every one found, in file and line order."""

    def __init__(self, problems: Sequence[Problem], message: str | None = None) -> None:
        self.problems = tuple(sorted(problems))
        if message is None:
            count = len(self.problems)
            lines = "\n".join(f"  {problem}" for problem in self.problems)
            message = str(self.problems[0]) if count == 1 else f"{count} problems in mapping files:\n{lines}"
        super().__init__(message)

    @classmethod
    def single(cls, path: Path, line: int, message: str) -> MappingError:
        """An error about one place."""
        return cls([Problem(path, line, message)])


class MappingFailure(ValueError):
    """A platform record cannot be mapped to its canonical object; the message names the platform field."""
