"""What a flow sent, kept as sent only once the target accepted it.

A step that plans writes against what it sent before (postings, revenue events) must not count a write as
sent when it issues it: a write the target refuses for good would then be taken for done, and retrying the
exception would plan nothing. The step parks its new memory under ``SENDING``; the flow's last step,
``accepted``, which runs only once every command of the run succeeded, makes it the memory ``SENT``.
"""

from __future__ import annotations

from collections.abc import Sequence

from concord.domain.messages import JSON, CommandSpec
from concord.engine.flows import Step, StepContext

__all__ = ["ACCEPTED", "SENDING", "SENT", "accepted", "sending"]

SENT = "sent"
SENDING = "sending"


def sending(ctx: StepContext, memory: list[JSON]) -> None:
    """What will have been sent once this run's commands succeed."""
    ctx.state[SENDING] = memory


def _accepted(ctx: StepContext) -> Sequence[CommandSpec]:
    if SENDING in ctx.state:
        ctx.state[SENT] = ctx.state.pop(SENDING)
    return []


accepted = _accepted
ACCEPTED = Step("accepted", _accepted)
"""The last step of a flow that uses ``sending``."""
