"""Consultants: names, e-mail addresses, roles, home entities, cost rates and managers."""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

from concord.sandbox.firm.gen_reference import COST_RATES_USD, CURRENCY_FACTORS, ROLE_WEIGHTS, ROLES
from concord.sandbox.firm.model import Employee, LegalEntity
from concord.sandbox.firm.names import FIRST_NAMES, LAST_NAMES

EMAIL_DOMAIN = "concord-consulting.example"
SERVICE_LINE_CODES = {
    "Advisory": "ADV",
    "Implementation": "IMPL",
    "Managed Services": "MS",
    "Training": "TRN",
}
_ENTITY_WEIGHTS = {"US": 45, "UK": 30, "DE": 25, "FR": 15}
_LEVELS = {role.key: role.level for role in ROLES}


class UniqueEmails:
    """Hands out ``first.last@domain`` addresses, numbering repeats (``anna.berg2@...``)."""

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self._seen: dict[str, int] = {}

    def make(self, first: str, last: str) -> str:
        """A new unique address for this name."""
        local = f"{first}.{last}".lower()
        count = self._seen.get(local, 0) + 1
        self._seen[local] = count
        return f"{local}{count if count > 1 else ''}@{self.domain}"


def employees(count: int, entities: tuple[LegalEntity, ...], rng: random.Random) -> tuple[Employee, ...]:
    """``count`` consultants spread over ``entities``; every one but the top of each entity has a manager
    one level up (or the closest level above) in the same entity."""
    emails = UniqueEmails(EMAIL_DOMAIN)
    codes = [entity.code for entity in entities]
    currency = {entity.code: entity.currency for entity in entities}
    entity_weights = [_ENTITY_WEIGHTS[code] for code in codes]
    role_keys = list(ROLE_WEIGHTS)
    role_weights = list(ROLE_WEIGHTS.values())
    lines = list(SERVICE_LINE_CODES.values())
    drafts: list[Employee] = []
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        # The first employee of each entity is its partner, so every entity has a top.
        entity = codes[index] if index < len(codes) else rng.choices(codes, entity_weights)[0]
        role = "R-PTR" if index < len(codes) else rng.choices(role_keys, role_weights)[0]
        spread = Decimal(rng.randint(-8, 8)) / 100
        cost = (COST_RATES_USD[role] * CURRENCY_FACTORS[currency[entity]] * (1 + spread)).quantize(
            Decimal("0.01")
        )
        drafts.append(
            Employee(
                number=f"E-{index + 1:05d}",
                first_name=first,
                last_name=last,
                email=emails.make(first, last),
                role_key=role,
                entity_code=entity,
                cost_center=f"{entity}-{rng.choice(lines)}",
                cost_rate=cost,
                capacity_hours=32 if rng.random() < 0.1 else 40,
                manager=None,
            )
        )
    managers = _managers(drafts, rng)
    return tuple(replace(draft, manager=managers.get(draft.number)) for draft in drafts)


def _managers(drafts: list[Employee], rng: random.Random) -> dict[str, str]:
    by_level: dict[tuple[str, int], list[str]] = {}
    for draft in drafts:
        by_level.setdefault((draft.entity_code, level_of(draft)), []).append(draft.number)
    levels = sorted({level for _, level in by_level})
    managers: dict[str, str] = {}
    for draft in drafts:
        level = level_of(draft)
        above = [lvl for lvl in levels if lvl > level and (draft.entity_code, lvl) in by_level]
        if above:
            managers[draft.number] = rng.choice(by_level[(draft.entity_code, above[0])])
    return managers


def level_of(employee: Employee) -> int:
    """The seniority level of an employee's role."""
    return _LEVELS[employee.role_key]
