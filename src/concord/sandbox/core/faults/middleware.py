"""``FaultInjector``: the pure ASGI middleware that carries out ``FaultSet`` decisions."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from concord.sandbox.core.asgi import is_platform_http, record_fault, send_platform_error, with_content_length
from concord.sandbox.core.errors import ErrorFormatter, ErrorKind
from concord.sandbox.core.faults.bodies import cut, drip, malformed
from concord.sandbox.core.faults.decisions import FaultPlan, FaultSet


class FaultInjector:
    """Applies an emulator's fault rules to its platform requests (the admin API is never touched).

    Args:
        app: The wrapped ASGI app.
        faults: The emulator's rules.
        formatter: Builds platform-shaped bodies for injected errors.
        sends_retry_after: Whether the platform ever sends ``Retry-After`` (from its ``PlatformProfile``);
            when ``False`` an injected 429 carries none even if the rule asks for one.
    """

    def __init__(
        self, app: ASGIApp, *, faults: FaultSet, formatter: ErrorFormatter, sends_retry_after: bool = True
    ):
        self.app = app
        self.faults = faults
        self.formatter = formatter
        self.sends_retry_after = sends_retry_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.faults.active or not is_platform_http(scope):
            await self.app(scope, receive, send)
            return
        plan = self.faults.decide(scope["method"], scope["path"])
        if plan is None:
            await self.app(scope, receive, send)
            return
        for label in plan.labels():
            record_fault(scope, label)
        if plan.delay_s > 0:
            await asyncio.sleep(plan.delay_s)
        if plan.answer is not None:
            answer = plan.answer
            retry_after = answer.retry_after_s if self.sends_retry_after else None
            await send_platform_error(
                send, self.formatter, answer.status, answer.kind, answer.message, retry_after_s=retry_after
            )
        elif plan.hang_s is not None:
            await self._hang(receive, send, plan.hang_s)
        elif plan.rewrites_body:
            await self._rewrite(scope, receive, send, plan)
        else:
            await self.app(scope, receive, send)

    async def _hang(self, receive: Receive, send: Send, limit_s: float) -> None:
        """Answer nothing until the client gives up, or 504 after ``limit_s`` if it is still waiting."""
        try:
            async with asyncio.timeout(limit_s):
                while (await receive())["type"] != "http.disconnect":
                    pass
                return
        except TimeoutError:
            pass
        await send_platform_error(
            send, self.formatter, 504, ErrorKind.TIMEOUT, "Gateway timeout (injected hang)"
        )

    async def _rewrite(self, scope: Scope, receive: Receive, send: Send, plan: FaultPlan) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            else:
                await send(message)

        await self.app(scope, receive, capture)
        if start is None:
            return
        if start["status"] in (204, 304) or scope["method"] == "HEAD":
            # No body to spoil; HTTP forbids one here.
            await send(start)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        original = b"".join(chunks)
        body = original
        if plan.malformed:
            body = malformed(original)
        elif plan.truncate == "cut_json":
            body = cut(original)
        headers = list(start.get("headers", []))
        if plan.truncate == "drop_connection":
            # Declare the full length, send half, end without completing: the client sees the
            # connection close mid-body (uvicorn logs "returned without completing response").
            await send({**start, "headers": with_content_length(headers, len(original))})
            await send({"type": "http.response.body", "body": cut(original), "more_body": True})
            return
        await send({**start, "headers": with_content_length(headers, len(body))})
        if plan.drip is not None:
            await drip(send, body, *plan.drip)
        else:
            await send({"type": "http.response.body", "body": body, "more_body": False})
