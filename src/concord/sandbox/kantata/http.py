"""HTTP plumbing: request bodies (JSON or Rails-style forms), JSON answers, the error handler and the
``x-request-id`` header Kantata puts on every response."""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from concord.sandbox.kantata.errors import JSON_CONTENT_TYPE, KantataApiError, bad_request

_FORM_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_MAY_HOLD_FLOAT = re.compile(rb"[0-9][.eE]|[0-9]{19}")
"""What orjson may have read as a float: a number with a fraction or an exponent (a digit followed by
``.``, ``e`` or ``E``), or an integer beyond 64 bits (19 digits or more). A body without either has no
float, so the walk over the parsed body can be skipped (a match may be inside a string; the walk then
decides)."""


def json_response(body: Any, status: int = 200) -> Response:
    """A JSON answer with Kantata's content type."""
    return Response(orjson.dumps(body), status_code=status, media_type=JSON_CONTENT_TYPE)


async def kantata_error_handler(request: Request, exc: Exception) -> Response:
    """Render :class:`KantataApiError` as Kantata's ``{"errors": [...]}`` envelope."""
    assert isinstance(exc, KantataApiError)
    response = json_response(exc.body(), exc.status)
    for name, value in exc.headers.items():
        response.headers[name] = value
    return response


async def read_body(request: Request) -> dict[str, Any]:
    """The request body as a dict: JSON (numbers with a fraction become ``Decimal``, never float) or a
    Rails-style form (``time_entry[notes]=...``); an empty body is ``{}``.

    Raises:
        KantataApiError: 400 when the body cannot be parsed or is not an object.
    """
    raw = await request.body()
    if not raw.strip():
        return {}
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type:
        # Parsed here: Starlette's form parser needs python-multipart, which the project does not ship.
        return parse_rails_form(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    if "multipart/form-data" in content_type:
        raise bad_request("multipart/form-data bodies are not supported by the emulator; send JSON.")
    try:
        data = parse_json(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise bad_request("The request body must be a JSON object.")
    return data


def parse_json(raw: bytes) -> Any:
    """A JSON body with numbers that have a fraction as ``Decimal`` and integers exact, never float.

    Raises:
        ValueError: The body is not JSON.
    """
    data = orjson.loads(raw)
    if _MAY_HOLD_FLOAT.search(raw) is not None and _has_float(data):
        # Re-read so that fractional numbers (money) become exact Decimals, never floats.
        data = json.loads(raw, parse_float=Decimal)
    return data


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_float(item) for item in value)
    return False


def parse_rails_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Nest ``a[b][c]=v`` keys the way Rails does (``a[]`` appends to a list)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        match = _FORM_KEY.match(key)
        if match is None:
            continue
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        _assign(result, parts, value)
    return result


def _assign(target: dict[str, Any], parts: list[str], value: str) -> None:
    node: Any = target
    for index, part in enumerate(parts[:-1]):
        following = parts[index + 1]
        if part == "":
            # ``a[][b]``: a list of objects; a repeated key starts the next object.
            if not isinstance(node, list):
                return
            if not node or not isinstance(node[-1], dict) or following in node[-1]:
                node.append({})
            node = node[-1]
            continue
        if not isinstance(node, dict):
            return
        kind: type = list if following == "" else dict
        if not isinstance(node.get(part), kind):
            node[part] = kind()
        node = node[part]
    last = parts[-1]
    if last == "" and isinstance(node, list):
        node.append(value)
    elif last != "" and isinstance(node, dict):
        node[last] = value


class RequestIdMiddleware:
    """Adds ``x-request-id`` (a fresh hex id) to every response, as Kantata does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(16).encode("ascii")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)
