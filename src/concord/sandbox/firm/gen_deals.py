"""CRM opportunities: won deals of past months, deals won this month and not yet provisioned, the open
pipeline and lost deals, each with line items priced from the rate cards."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from concord.domain.objects.enums import PricingModel
from concord.sandbox.firm.gen_reference import CURRENCY_FACTORS, ROLES, month_end, month_start
from concord.sandbox.firm.model import Account, LineItem, Opportunity, RateCard
from concord.sandbox.firm.sizes import FirmSize

WON = "Closed Won"
LOST = "Closed Lost"
OPEN_STAGES = (
    ("Prospecting", 20),
    ("Qualification", 20),
    ("Needs Analysis", 15),
    ("Value Proposition", 12),
    ("Id. Decision Makers", 10),
    ("Perception Analysis", 8),
    ("Proposal/Price Quote", 10),
    ("Negotiation/Review", 5),
)
SERVICE_LINES = (("Implementation", 40), ("Advisory", 25), ("Managed Services", 20), ("Training", 15))
DELIVERY_TEMPLATES = {
    "Advisory": "TPL-ADV-STD",
    "Implementation": "TPL-IMPL-STD",
    "Managed Services": "TPL-MS-STD",
    "Training": "TPL-TRN-STD",
}
CRM_PRICING = {
    PricingModel.TIME_AND_MATERIALS: "Time and Materials",
    PricingModel.FIXED_FEE: "Fixed Fee",
    PricingModel.SUBSCRIPTION: "Subscription",
}
"""The CRM picklist label of each pricing model."""
_TOPICS = {
    "Advisory": (
        "Operating model review",
        "Cost transformation",
        "Finance function assessment",
        "Digital strategy",
    ),
    "Implementation": ("ERP rollout", "CRM implementation", "Data platform build", "Cloud migration"),
    "Managed Services": ("Application support", "Managed analytics", "Cloud operations", "Service desk"),
    "Training": ("Leadership academy", "Analytics upskilling", "System admin training", "Change training"),
}
_LEAD_SOURCES = ("Web", "Partner Referral", "Phone Inquiry", "Other")
_DELIVERY_ROLES = tuple(role for role in ROLES if role.key != "R-PTR")


@dataclass(frozen=True)
class DealBook:
    """The generated opportunities, by what happened to them."""

    won_past: tuple[Opportunity, ...]
    awaiting: tuple[Opportunity, ...]
    without_tax: tuple[Opportunity, ...]
    orphan_region: tuple[Opportunity, ...]
    open: tuple[Opportunity, ...]
    lost: tuple[Opportunity, ...]

    @property
    def all(self) -> tuple[Opportunity, ...]:
        """Every opportunity, in key order."""
        groups = (self.won_past, self.awaiting, self.without_tax, self.orphan_region, self.open, self.lost)
        return tuple(sorted((o for group in groups for o in group), key=lambda o: o.key))


class DealMaker:
    """Makes opportunities with unique names and keys."""

    def __init__(self, cards: tuple[RateCard, ...], rng: random.Random) -> None:
        self._cards = {card.currency: card for card in cards}
        self._rng = rng
        self._names: set[str] = set()
        self._count = 0

    def make(self, account: Account, stage: str, close: date) -> Opportunity:
        """One opportunity of ``account`` in ``stage`` closing on ``close``."""
        rng = self._rng
        line = rng.choices([s for s, _ in SERVICE_LINES], [w for _, w in SERVICE_LINES])[0]
        model = _pricing(line, rng)
        self._count += 1
        return Opportunity(
            key=f"O-{self._count:05d}",
            account_key=account.key,
            name=self._name(account, line),
            stage=stage,
            close_date=close,
            currency=account.currency,
            service_line=line,
            region=account.region,
            pricing_model=model,
            expected_start=close + timedelta(days=rng.randint(7, 21)),
            delivery_template=DELIVERY_TEMPLATES[line],
            lead_source=rng.choice(_LEAD_SOURCES),
            line_items=self._lines(model, account.currency, close),
        )

    def _name(self, account: Account, line: str) -> str:
        core = " ".join(account.name.split()[:2])
        base = f"{core} - {self._rng.choice(_TOPICS[line])}"
        name, phase = base, 1
        while name in self._names:
            phase += 1
            name = f"{base} (phase {phase})"
        self._names.add(name)
        return name

    def _lines(self, model: PricingModel, currency: str, close: date) -> tuple[LineItem, ...]:
        rng = self._rng
        if model is PricingModel.SUBSCRIPTION:
            fee = Decimal(rng.randrange(6_000, 40_000, 500)) * CURRENCY_FACTORS[currency]
            return (LineItem("Managed service fee (monthly)", Decimal(12), fee.quantize(Decimal(1)), None),)
        version = self._cards[currency].version_on(close)
        roles = rng.sample(_DELIVERY_ROLES, rng.randint(2, 4))
        return tuple(
            LineItem(
                f"{role.name} services",
                Decimal(rng.randrange(40, 488, 8)),
                version.rate_for(role.key),
                role.key,
            )
            for role in sorted(roles, key=lambda r: r.level)
        )


def _pricing(line: str, rng: random.Random) -> PricingModel:
    if line == "Managed Services":
        return PricingModel.SUBSCRIPTION
    if line == "Training":
        return PricingModel.FIXED_FEE
    share = 60 if line == "Advisory" else 50
    return PricingModel.TIME_AND_MATERIALS if rng.randint(1, 100) <= share else PricingModel.FIXED_FEE


def _day_in(start: date, end: date, rng: random.Random) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def opportunities(
    size: FirmSize,
    normal: tuple[Account, ...],
    without_tax: tuple[Account, ...],
    orphan_region: tuple[Account, ...],
    cards: tuple[RateCard, ...],
    as_of: date,
    rng: random.Random,
) -> DealBook:
    """Every opportunity of the firm. Accounts set aside for a dirty case get exactly one deal, won this
    month; the others are spread over the normal accounts, some of which get several."""
    maker = DealMaker(cards, rng)
    this_month = month_start(as_of)
    won_past = []
    for back in range(size.history_months, 0, -1):
        first = month_start(as_of, back)
        for _ in range(size.deals_per_month):
            won_past.append(maker.make(rng.choice(normal), WON, _day_in(first, month_end(first), rng)))
    awaiting = [
        maker.make(rng.choice(normal), WON, _day_in(this_month, as_of, rng)) for _ in range(size.awaiting)
    ]
    no_tax = [maker.make(account, WON, _day_in(this_month, as_of, rng)) for account in without_tax]
    orphan = [maker.make(account, WON, _day_in(this_month, as_of, rng)) for account in orphan_region]
    stages = [s for s, _ in OPEN_STAGES], [w for _, w in OPEN_STAGES]
    pipeline = [
        maker.make(rng.choice(normal), rng.choices(*stages)[0], as_of + timedelta(days=rng.randint(5, 120)))
        for _ in range(size.open_deals)
    ]
    history_start = month_start(as_of, size.history_months)
    lost = [
        maker.make(rng.choice(normal), LOST, _day_in(history_start, as_of, rng))
        for _ in range(size.lost_deals)
    ]
    return DealBook(
        tuple(won_past), tuple(awaiting), tuple(no_tax), tuple(orphan), tuple(pipeline), tuple(lost)
    )
