"""The Composite resource: ``POST /composite`` runs up to 25 subrequests in order, in one API call.

Subrequests name a ``referenceId``; later ones use earlier results through ``@{ref.field}`` (also
``@{ref.records[0].Id}``) in their URL or body. The answer is always 200
``{"compositeResponse": [{"body", "httpHeaders", "httpStatusCode", "referenceId"}]}``. With
``allOrNone`` the first failing subrequest rolls back everything; the others then report 400
``PROCESSING_HALTED``. Without it, only subrequests that reference a failed one are halted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from concord.sandbox.salesforce.api.request import ApiRequest, ApiResponse, Router
from concord.sandbox.salesforce.errors import SalesforceApiError
from concord.sandbox.salesforce.records.context import CallContext

MAX_SUBREQUESTS = 25
_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
_URL = re.compile(r"^/services/data/v(\d+\.\d)(/.*)?$")
_ROLLED_BACK = "The transaction was rolled back since another operation in the same transaction failed."


class _Halted(Exception):
    """A subrequest that cannot run (bad reference, earlier failure)."""


class _RollBack(Exception):
    """Undo an all-or-none composite request."""


def _halted(reference_id: str, message: str) -> dict[str, Any]:
    return {
        "body": [{"errorCode": "PROCESSING_HALTED", "message": message, "fields": []}],
        "httpHeaders": {},
        "httpStatusCode": 400,
        "referenceId": reference_id,
    }


class _Composite:
    def __init__(self, router: Router, request: ApiRequest) -> None:
        self.router = router
        self.request = request
        self.results: dict[str, Any] = {}
        self.failed: set[str] = set()

    def resolve(self, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            name, path = match.group(1), match.group(2)
            if name in self.failed or name not in self.results:
                raise _Halted(f"Invalid reference specified. No value for {name}{path} found in {name}.")
            value: Any = self.results[name]
            for step in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
                try:
                    value = value[step[0]] if step[0] else value[int(step[1])]
                except (KeyError, IndexError, TypeError):
                    raise _Halted(
                        f"Invalid reference specified. No value for {name}{path} found in {name}."
                    ) from None
            return str(value)

        return _REFERENCE.sub(replace, text)

    def substitute(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.resolve(value)
        if isinstance(value, list):
            return [self.substitute(v) for v in value]
        if isinstance(value, Mapping):
            return {k: self.substitute(v) for k, v in value.items()}
        return value

    def run(self, sub: Mapping[str, Any], ctx: CallContext) -> dict[str, Any]:
        reference_id = str(sub.get("referenceId", ""))
        url = self.resolve(str(sub.get("url", "")))
        parts = urlsplit(url)
        match = _URL.match(parts.path)
        if match is None or parts.path.rstrip("/").endswith("/composite"):
            response = ApiResponse.from_error(
                SalesforceApiError.single(400, "INVALID_URL", f"Invalid URL: {url}")
            )
        else:
            headers = {
                **self.request.headers,
                **{k.lower(): str(v) for k, v in (sub.get("httpHeaders") or {}).items()},
            }
            subrequest = ApiRequest(
                org=self.request.org,
                method=str(sub.get("method", "GET")).upper(),
                version=match.group(1),
                path=(match.group(2) or "").rstrip("/"),
                query=dict(parse_qsl(parts.query)),
                headers=headers,
                session=self.request.session,
                ctx=ctx,
            )
            if "body" in sub:
                subrequest.decoded = self.substitute(sub["body"])
            response = self.router.dispatch(subrequest)
        if response.status >= 400:
            self.failed.add(reference_id)
        else:
            self.results[reference_id] = response.body
        return {
            "body": response.body,
            "httpHeaders": response.headers,
            "httpStatusCode": response.status,
            "referenceId": reference_id,
        }


def _subrequests(request: ApiRequest) -> tuple[list[Mapping[str, Any]], bool]:
    body = request.json()
    subs = body.get("compositeRequest") if isinstance(body, Mapping) else None
    if not isinstance(subs, list) or not all(isinstance(s, Mapping) for s in subs):
        raise SalesforceApiError.single(
            400, "JSON_PARSER_ERROR", "compositeRequest must be a list of subrequests"
        )
    if len(subs) > MAX_SUBREQUESTS:
        raise SalesforceApiError.single(
            400,
            "LIMIT_EXCEEDED",
            f"Limit Exceeded: Maximum number of subrequests allowed is {MAX_SUBREQUESTS}",
        )
    return subs, bool(body.get("allOrNone", False))


def composite(router: Router, request: ApiRequest) -> ApiResponse:
    """``POST /composite``."""
    subs, all_or_none = _subrequests(request)
    runner = _Composite(router, request)
    answers: list[dict[str, Any]] = []
    if not all_or_none:
        for sub in subs:
            try:
                answers.append(runner.run(sub, request.ctx.new_transaction()))
            except _Halted as halted:
                runner.failed.add(str(sub.get("referenceId", "")))
                answers.append(_halted(str(sub.get("referenceId", "")), str(halted)))
        return ApiResponse(200, {"compositeResponse": answers})
    try:
        with request.org.repo.transaction():
            for sub in subs:
                try:
                    answers.append(runner.run(sub, request.ctx))
                except _Halted as halted:
                    answers.append(_halted(str(sub.get("referenceId", "")), str(halted)))
                if answers[-1]["httpStatusCode"] >= 400:
                    raise _RollBack
    except _RollBack:
        answers = [
            a if a["httpStatusCode"] >= 400 else _halted(a["referenceId"], _ROLLED_BACK) for a in answers
        ]
        answers += [_halted(str(s.get("referenceId", "")), _ROLLED_BACK) for s in subs[len(answers) :]]
    return ApiResponse(200, {"compositeResponse": answers})


def register(router: Router) -> None:
    """Add ``POST /composite``."""
    router.add("POST", r"/composite", lambda request, params: composite(router, request))
