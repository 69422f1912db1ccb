"""The emulator's internal request and response, and a small path router.

The REST API under ``/services/data/vNN.0`` is served by one FastAPI route that hands an ``ApiRequest``
to this router, so the Composite API can run subrequests through exactly the same handlers, and
unknown paths and methods get the platform's 404/405 bodies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

import orjson

from concord.sandbox.salesforce.auth.sessions import Session
from concord.sandbox.salesforce.errors import RecordError, SalesforceApiError, not_found
from concord.sandbox.salesforce.org import SalesforceOrg
from concord.sandbox.salesforce.records.context import CallContext

_MISSING: Any = object()


@dataclass
class ApiRequest:
    """One REST call (or Composite subrequest) to ``/services/data/v{version}{path}``."""

    org: SalesforceOrg
    method: str
    version: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    session: Session
    ctx: CallContext
    raw_body: bytes = b""
    decoded: Any = _MISSING

    @property
    def version_number(self) -> int:
        """The major API version (59 for ``59.0``)."""
        return int(self.version.split(".")[0])

    def json(self) -> Any:
        """The JSON body, numbers with a fraction as Decimal.

        Raises:
            SalesforceApiError: 400 JSON_PARSER_ERROR for an empty or malformed body.
        """
        if self.decoded is _MISSING:
            self.decoded = parse_json(self.raw_body)
        return self.decoded


_NOT_FOR_ORJSON = re.compile(rb"[0-9][.eE]|[0-9]{19}")
"""What orjson would read differently: every JSON number with a fraction or an exponent has a digit
followed by ``.``, ``e`` or ``E`` (they must become Decimal), and an integer beyond 64 bits has 19 digits
or more (orjson makes it a float). A match inside a string only costs the slower parser."""


def parse_json(raw: bytes) -> Any:
    """Decode a request body like the platform's parser (no NaN, exact decimals)."""
    if _NOT_FOR_ORJSON.search(raw) is None:
        # orjson reads the body far faster than json, with the same result here. Anything it refuses
        # (bad JSON, NaN, invalid UTF-8) takes the path below and its errors.
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        raise SalesforceApiError.single(
            400, "JSON_PARSER_ERROR", "No content to map due to end-of-input at [line:1, column:0]"
        )

    def refuse_constant(name: str) -> Any:
        raise ValueError(f"Non-standard token '{name}'")

    try:
        return json.loads(text, parse_float=Decimal, parse_constant=refuse_constant)
    except json.JSONDecodeError as exc:
        message = f"Unexpected character ({exc.msg}) at [line:{exc.lineno}, column:{exc.colno}]"
        raise SalesforceApiError.single(400, "JSON_PARSER_ERROR", message) from None
    except ValueError as exc:
        raise SalesforceApiError.single(400, "JSON_PARSER_ERROR", f"{exc} at [line:1, column:1]") from None


@dataclass
class ApiResponse:
    """A handler's answer: status, JSON-ready body (None for no body) and extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_error(cls, error: SalesforceApiError) -> ApiResponse:
        """The REST error body for ``error``."""
        return cls(error.status, error.body(), dict(error.headers))


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return orjson.Fragment(format(value, "f").encode("ascii"))
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dump_json(body: Any) -> bytes:
    """Serialise a response body; Decimal numbers keep their exact digits."""
    return orjson.dumps(body, default=_json_default)


Handler = Callable[[ApiRequest, Mapping[str, str]], ApiResponse]


@dataclass(frozen=True)
class Call:
    """What answers one request: ``run()`` gives the response (API errors already turned into error
    responses); ``light`` says it touches a record or two, so it may run on the event loop rather than
    pay a threadpool hop (which costs more than such a call's own work)."""

    run: Callable[[], ApiResponse]
    light: bool


class Router:
    """Routes ``(method, path)`` to handlers by regular expressions with named groups."""

    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], dict[str, tuple[Handler, bool]]]] = []

    def add(self, methods: str, pattern: str, handler: Handler, *, light: bool = False) -> None:
        """Serve ``methods`` (comma-separated) on paths matching ``pattern`` (anchored).

        ``light`` marks a handler that reads or writes a single record (see ``Call``).
        """
        compiled = re.compile(f"^{pattern}/?$")
        entries = {m: (handler, light) for m in methods.split(",")}
        for existing, table in self._routes:
            if existing.pattern == compiled.pattern:
                table.update(entries)
                return
        self._routes.append((compiled, entries))

    def dispatch(self, request: ApiRequest) -> ApiResponse:
        """Run the matching handler, turning API errors into error responses."""
        return self.plan(request).run()

    def plan(self, request: ApiRequest) -> Call:
        """The call that answers ``request`` (an error response for an unknown path or method)."""
        try:
            for pattern, table in self._routes:
                match = pattern.match(request.path)
                if match is None:
                    continue
                entry = table.get(request.method) or (table.get("GET") if request.method == "HEAD" else None)
                if entry is None:
                    allowed = ",".join(table)
                    raise SalesforceApiError.single(
                        405,
                        "METHOD_NOT_ALLOWED",
                        f"HTTP Method '{request.method}' not allowed. Allowed are {allowed}",
                    )
                handler, light = entry
                params = match.groupdict()
                return Call(partial(_answer, handler, request, params), light)
            raise not_found()
        except SalesforceApiError as error:
            answer = ApiResponse.from_error(error)
            return Call(lambda: answer, True)


def _answer(handler: Handler, request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    try:
        return handler(request, params)
    except SalesforceApiError as error:
        return ApiResponse.from_error(error)
    except RecordError as error:
        # Handlers translate DML failures themselves; this is the safety net.
        return ApiResponse.from_error(error.as_api_error())
