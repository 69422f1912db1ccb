"""Governance: who owns which field (the authority matrix), and the suppression of Concord's own echoes.

The engine defines two hooks (``concord.engine.gates``); this package implements them. On the way in,
:class:`AuthorityGate` drops echoes of Concord's writes and refuses changes from systems that do not own a
field (one governance exception per change, in business words). On the way out, :class:`EchoScreen`
skips writes that would change nothing and fingerprints the rest, so their echo is recognised.
"""

from __future__ import annotations

from concord.governance.authority import AuthorityMatrix, load_authority, parse_authority
from concord.governance.gate import AuthorityGate
from concord.governance.screen import EchoScreen

__all__ = ["AuthorityGate", "AuthorityMatrix", "EchoScreen", "load_authority", "parse_authority"]
