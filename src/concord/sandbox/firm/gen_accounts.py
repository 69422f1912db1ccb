"""CRM accounts and contacts, and the ERP customers keyed in by hand from some of them."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from concord.sandbox.firm.gen_people import UniqueEmails
from concord.sandbox.firm.gen_reference import ORPHAN_CURRENCY, ORPHAN_REGIONS
from concord.sandbox.firm.model import Account, Address, Contact, ErpCustomer, LegalEntity
from concord.sandbox.firm.names import (
    COMPANY_FIRST,
    COMPANY_SECOND,
    FIRST_NAMES,
    LAST_NAMES,
    LEGAL_SUFFIXES,
    erp_variant,
)

_PLACES: dict[str, tuple[str, str, tuple[tuple[str, str], ...]]] = {
    # region: (country, suffix group, ((city, state), ...))
    "North America": (
        "United States",
        "US",
        (
            ("New York", "NY"),
            ("Chicago", "IL"),
            ("Austin", "TX"),
            ("Boston", "MA"),
            ("Seattle", "WA"),
            ("Atlanta", "GA"),
            ("Denver", "CO"),
            ("San Francisco", "CA"),
        ),
    ),
    "UK": (
        "United Kingdom",
        "UK",
        (
            ("London", ""),
            ("Manchester", ""),
            ("Leeds", ""),
            ("Bristol", ""),
            ("Edinburgh", ""),
            ("Birmingham", ""),
        ),
    ),
    "DACH": (
        "Germany",
        "DE",
        (
            ("Berlin", ""),
            ("Munich", ""),
            ("Hamburg", ""),
            ("Frankfurt", ""),
            ("Cologne", ""),
            ("Stuttgart", ""),
        ),
    ),
    "EMEA": ("France", "FR", (("Paris", ""), ("Lyon", ""), ("Toulouse", ""), ("Lille", ""))),
    "LATAM": ("Brazil", "LATAM", (("Sao Paulo", "SP"), ("Rio de Janeiro", "RJ"), ("Curitiba", "PR"))),
    "APAC": ("Singapore", "APAC", (("Singapore", ""),)),
}
_STREETS = (
    "Market",
    "Church",
    "High",
    "Station",
    "Mill",
    "Park",
    "King",
    "Queen",
    "Bridge",
    "Harbour",
    "Oak",
    "Elm",
)
_STREET_KINDS = ("Street", "Road", "Avenue", "Way", "Lane")
_INDUSTRIES = (
    "Banking",
    "Consulting",
    "Energy",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Technology",
    "Other",
)
_SEGMENTS = (("Enterprise", 30), ("Mid-Market", 45), ("SMB", 25))
_TAX_PROFILES = (("Standard", 85), ("Exempt", 5), ("Reverse Charge", 10))
_TITLES = (
    "CFO",
    "Head of Finance",
    "Accounts Payable Lead",
    "CIO",
    "VP Operations",
    "Program Director",
    "Procurement Manager",
    "Chief Digital Officer",
)


@dataclass(frozen=True)
class AccountBook:
    """The generated accounts: ``normal`` ones, and those set aside for two dirty cases."""

    normal: tuple[Account, ...]
    without_tax: tuple[Account, ...]
    orphan_region: tuple[Account, ...]

    @property
    def all(self) -> tuple[Account, ...]:
        """Every account, in key order."""
        return tuple(sorted((*self.normal, *self.without_tax, *self.orphan_region), key=lambda a: a.key))


def _tax_id(group: str, rng: random.Random) -> str:
    digits = "".join(str(rng.randint(0, 9)) for _ in range(11))
    return {
        "US": f"{digits[:2]}-{digits[2:9]}",
        "UK": f"GB{digits[:9]}",
        "DE": f"DE{digits[:9]}",
        "FR": f"FR{digits}",
        "LATAM": f"{digits[:2]}.{digits[2:5]}.{digits[5:8]}/0001-{digits[8:10]}",
        "APAC": f"{digits[:9]}K",
    }[group]


def _postal_code(group: str, rng: random.Random) -> str:
    if group == "UK":
        outward = f"{rng.choice('ENSW')}C{rng.randint(1, 9)}"
        return f"{outward} {rng.randint(1, 9)}{rng.choice('ABDEFG')}{rng.choice('HJLNPQ')}"
    if group == "LATAM":
        return f"{rng.randint(10000, 99999)}-{rng.randint(100, 999)}"
    return f"{rng.randint(10000, 99999)}" if group != "APAC" else f"{rng.randint(100000, 999999)}"


def _account(key: str, core: str, region: str, currency: str, taxed: bool, rng: random.Random) -> Account:
    country, group, cities = _PLACES[region]
    name = f"{core} {rng.choice(LEGAL_SUFFIXES[group])}"
    city, state = rng.choice(cities)
    street = f"{rng.randint(1, 400)} {rng.choice(_STREETS)} {rng.choice(_STREET_KINDS)}"
    slug = core.lower().replace(" ", "")
    profile = rng.choices([p for p, _ in _TAX_PROFILES], [w for _, w in _TAX_PROFILES])[0]
    return Account(
        key=key,
        name=name,
        industry=rng.choice(_INDUSTRIES),
        segment=rng.choices([s for s, _ in _SEGMENTS], [w for _, w in _SEGMENTS])[0],
        region=region,
        currency=currency,
        billing=Address(street, city, state, _postal_code(group, rng), country),
        phone=f"+{rng.randint(1, 99)} {rng.randint(100, 999)} {rng.randint(1000000, 9999999)}",
        website=f"https://www.{slug}.example",
        tax_id=_tax_id(group, rng) if taxed else None,
        tax_profile=profile if taxed else None,
        customer=False,
    )


def accounts(count: int, entities: tuple[LegalEntity, ...], dirty: int, rng: random.Random) -> AccountBook:
    """``count`` accounts with unique names; ``dirty`` of them lack a tax profile and ``dirty`` more sit
    in a region no legal entity serves. The rest are spread over the entities' regions."""
    cores = [f"{a} {b}" for a, b in itertools.product(COMPANY_FIRST, COMPANY_SECOND)]
    if count > len(cores):
        raise ValueError(f"at most {len(cores)} accounts can be named, {count} were asked for")
    chosen = rng.sample(cores, count)
    regions = [entity.region for entity in entities]
    currency = {entity.region: entity.currency for entity in entities}
    normal, without_tax, orphan = [], [], []
    for index, core in enumerate(chosen):
        key = f"A-{index + 1:04d}"
        if index < dirty:
            region = rng.choice(regions)
            without_tax.append(_account(key, core, region, currency[region], False, rng))
        elif index < 2 * dirty:
            region = ORPHAN_REGIONS[index % len(ORPHAN_REGIONS)]
            orphan.append(_account(key, core, region, ORPHAN_CURRENCY, True, rng))
        else:
            region = rng.choice(regions)
            normal.append(_account(key, core, region, currency[region], True, rng))
    return AccountBook(tuple(normal), tuple(without_tax), tuple(orphan))


def contacts(accounts: tuple[Account, ...], rng: random.Random) -> tuple[Contact, ...]:
    """One to three contacts per account, with addresses at the account's domain."""
    made: list[Contact] = []
    for account in accounts:
        emails = UniqueEmails(account.website.removeprefix("https://www."))
        for _ in range(rng.randint(1, 3)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            made.append(
                Contact(
                    key=f"C-{len(made) + 1:05d}",
                    account_key=account.key,
                    first_name=first,
                    last_name=last,
                    email=emails.make(first, last),
                    title=rng.choice(_TITLES),
                )
            )
    return tuple(made)


def erp_customers(
    accounts: tuple[Account, ...],
    entities: tuple[LegalEntity, ...],
    billed: set[str],
    share_percent: int,
    variant_percent: int,
    rng: random.Random,
) -> tuple[tuple[ErpCustomer, ...], tuple[str, ...]]:
    """The NetSuite customers: every account in ``billed`` plus ``share_percent`` of the others in a region
    with a legal entity; ``variant_percent`` of them were keyed with a slightly different name.

    Returns:
        The customers, and the keys of the accounts whose ERP name differs.
    """
    entity_of = {entity.region: entity.code for entity in entities}
    customers: list[ErpCustomer] = []
    variants: list[str] = []
    for account in accounts:
        if account.region not in entity_of:
            continue
        if account.key not in billed and (account.tax_profile is None or rng.randint(1, 100) > share_percent):
            continue
        name = account.name
        if rng.randint(1, 100) <= variant_percent:
            name = erp_variant(account.name, rng)
            variants.append(account.key)
        domain = account.website.removeprefix("https://www.")
        customers.append(
            ErpCustomer(account.key, name, entity_of[account.region], account.currency, f"ap@{domain}")
        )
    return tuple(customers), tuple(variants)
