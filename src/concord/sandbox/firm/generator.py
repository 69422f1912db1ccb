"""``generate_firm``: a whole firm, deterministically, from a size, a seed and an as-of date.

Each part draws from its own random generator seeded with ``"<seed>:<part>"``, so the same inputs give
the same firm in any process and on any machine (string seeds are hashed with SHA-512 by ``random``).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

from concord.sandbox.firm import gen_dirty
from concord.sandbox.firm.gen_accounts import accounts, contacts, erp_customers
from concord.sandbox.firm.gen_deals import opportunities
from concord.sandbox.firm.gen_people import employees
from concord.sandbox.firm.gen_projects import projects
from concord.sandbox.firm.gen_reference import (
    ROLES,
    accounting_periods,
    legal_entities,
    month_start,
    rate_cards,
)
from concord.sandbox.firm.gen_time import TimeBook, TimeWindow, log_time
from concord.sandbox.firm.model import Firm
from concord.sandbox.firm.sizes import FirmSize, firm_size

DEFAULT_AS_OF = date(2026, 3, 18)
"""The as-of date when none is given (a Wednesday in mid-March, after February's close)."""


def _rng(seed: int, part: str) -> random.Random:
    return random.Random(f"{seed}:{part}")


def generate_firm(size: str | FirmSize, seed: int, as_of: date = DEFAULT_AS_OF) -> Firm:
    """Generate the firm of domain.md §7 as it looks before Concord is switched on.

    Args:
        size: ``"small"``, ``"mid"``, ``"large"`` or a custom ``FirmSize``.
        seed: Any integer; the same ``(size, seed, as_of)`` always gives the same firm.
        as_of: The firm's "today": deals close before it, time is logged up to the day before it,
            accounting periods before last month (or before this month after the 10th) are closed.

    Returns:
        The firm, with the manifest of its planted dirty cases.

    Raises:
        ValueError: For an unknown size name.
    """
    dims = size if isinstance(size, FirmSize) else firm_size(size)
    entities = legal_entities(dims.entity_codes)
    cards = rate_cards(entities, month_start(as_of, dims.history_months + 1))
    staff = employees(dims.consultants, entities, _rng(seed, "people"))
    book = accounts(dims.customers, entities, dims.dirty_per_kind, _rng(seed, "accounts"))
    deals = opportunities(
        dims, book.normal, book.without_tax, book.orphan_region, cards, as_of, _rng(seed, "deals")
    )
    won_accounts = {deal.account_key for deal in (*deals.won_past, *deals.awaiting)}
    all_accounts = tuple(replace(a, customer=a.key in won_accounts) for a in book.all)
    billed = {deal.account_key for deal in deals.won_past}
    customers, _ = erp_customers(
        all_accounts, entities, billed, dims.erp_share_percent, dims.variant_percent, _rng(seed, "erp")
    )
    manifest = gen_dirty.crm_cases(deals, {a.key: a for a in all_accounts})

    window = TimeWindow.before(as_of, dims.time_weeks)
    delivery_rng = _rng(seed, "delivery")
    legacy = projects(deals.won_past, entities, staff, as_of, delivery_rng)
    legacy, closed = gen_dirty.close_projects_early(legacy, dims.dirty_per_kind, window, delivery_rng)
    cards, rate_cases = gen_dirty.change_rate_cards(cards, legacy, dims.dirty_per_kind, window)

    time_book = TimeBook(_rng(seed, "time"))
    log_time(time_book, legacy, staff, cards, window, skip=frozenset(p.key for p in closed))
    roles = {e.number: e.role_key for e in staff}
    manifest += gen_dirty.time_on_closed_projects(time_book, closed, {c.key: c for c in cards}, roles, window)
    dirty_rng = _rng(seed, "dirty")
    taken: set[str] = set()
    manifest += gen_dirty.duplicates(time_book, dims.dirty_per_kind, taken, dirty_rng)
    edits, edit_cases = gen_dirty.edits_after_approval(time_book, dims.dirty_per_kind, taken, dirty_rng)
    manifest += edit_cases + rate_cases

    return Firm(
        size=dims.name,
        seed=seed,
        as_of=as_of,
        legal_entities=entities,
        roles=ROLES,
        rate_cards=cards,
        employees=staff,
        accounts=all_accounts,
        contacts=contacts(all_accounts, _rng(seed, "contacts")),
        opportunities=deals.all,
        erp_customers=customers,
        periods=accounting_periods(as_of),
        projects=legacy,
        time_entries=tuple(time_book.entries),
        submissions=time_book.submissions(),
        edits=tuple(edits),
        manifest=tuple(manifest),
    )
