"""``load_firm``: write a generated firm into running emulators through their own HTTP APIs.

Salesforce gets the CRM (accounts, contacts, opportunities with line items) through sObject Collections;
Kantata gets the PSA (roles, rate cards, users, legacy projects, time and its approvals) through its
REST API and bulk time-entry creates; NetSuite gets the ERP reference data (subsidiaries, accounting
periods, employees, customers) through the Record API. The three load side by side. Only HTTP is used,
so a detached sandbox (another process) is loaded the same way as one in this process.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from concord.sandbox.firm.load.http import Api, LoadError
from concord.sandbox.firm.load.kantata import load_kantata
from concord.sandbox.firm.load.netsuite import load_netsuite
from concord.sandbox.firm.load.result import IdMap, LoadResult
from concord.sandbox.firm.load.salesforce import load_salesforce
from concord.sandbox.firm.model import Firm
from concord.sandbox.launch.access import SandboxAccess, fetch_tokens

__all__ = ["IdMap", "LoadError", "LoadResult", "load_firm", "load_firm_async"]

DEFAULT_CONCURRENCY = 8
_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


async def load_firm_async(
    firm: Firm, access: SandboxAccess, *, concurrency: int = DEFAULT_CONCURRENCY
) -> LoadResult:
    """Load ``firm`` into the sandbox ``access`` points at (which should be empty: see ``reset``).

    Args:
        firm: The generated firm.
        access: URLs and credentials of the running emulators.
        concurrency: Requests in flight per emulator.

    Returns:
        The ids every record got, and the request count and time taken.

    Raises:
        LoadError: A platform refused a record (the message names it and quotes the answer).
        TokenError: A platform refused the sandbox's credentials.
    """
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=3 * concurrency, max_keepalive_connections=3 * concurrency)
    async with httpx.AsyncClient(timeout=_TIMEOUT, limits=limits) as client:
        tokens = await fetch_tokens(client, access)
        apis = {name: Api(client, name, access.base_url(name), tokens[name], concurrency) for name in tokens}
        ids = IdMap()
        await asyncio.gather(
            load_salesforce(apis["salesforce"], firm, ids),
            load_kantata(apis["kantata"], firm, ids),
            load_netsuite(apis["netsuite"], firm, ids),
        )
    requests = sum(api.requests for api in apis.values())
    return LoadResult(ids=ids, requests=requests, elapsed_s=time.perf_counter() - started)


def load_firm(firm: Firm, access: SandboxAccess, *, concurrency: int = DEFAULT_CONCURRENCY) -> LoadResult:
    """:func:`load_firm_async` for synchronous callers (runs its own event loop)."""
    return asyncio.run(load_firm_async(firm, access, concurrency=concurrency))
