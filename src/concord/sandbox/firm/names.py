"""Word lists for names, and the small differences a hand-keyed ERP customer name has from the CRM's.

Company names are ``<first> <second> <legal suffix>``; two names never share their first two words, so
:func:`company_core` (the name without punctuation, case and legal suffix) identifies an account.
"""

from __future__ import annotations

import random
import re


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Aaron Abigail Adam Adrian Aisha Alan Albert Alex Alice Amelia Ana Andrea Andrew Anna Anton Arjun "
    "Ben Bianca Boris Brian Camille Carla Carlos Caroline Charles Chen Chloe Chris Claire Clara Daniel "
    "David Diana Dmitri Elena Eli Elif Emma Eric Erik Eva Farah Felix Fiona Florian Frank Gabriel "
    "George Grace Hannah Hans Harry Helen Henrik Hugo Ian Ines Isaac Ivan Jack James Jana Jasper "
    "Javier Jessica Joao Johan John Jonas Julia Karen Karim Kate Kenji Klaus Laura Lea Leon Liam "
    "Lina Lucas Lucy Luis Maja Marco Maria Marie Mark Martin Maya Mei Michael Mila Mohammed Nadia "
    "Nathan Nina Noah Olga Oliver Omar Oscar Paul Paula Peter Priya Rachel Rafael Raj Rosa Ruth Sam "
    "Sara Sebastian Sofia Sophie Stefan Susan Thomas Tobias Tom Uma Victor Vera Wei William Yara Zoe"
)

LAST_NAMES = _words(
    "Adams Ahmed Alvarez Andersen Bauer Becker Bennett Berg Blanc Brown Campbell Carter Castro Chen "
    "Clarke Collins Cooper Costa Dubois Duval Edwards Evans Fischer Fontaine Foster Garcia Gill Gomez "
    "Graham Gray Green Hall Hansen Harris Hoffmann Hughes Ivanova Jackson Jansen Jensen Johnson Jones "
    "Kaiser Kelly Khan King Klein Koch Kowalski Kumar Lambert Lang Larsen Laurent Lee Lewis Lopez "
    "Martin Mayer Meyer Miller Mitchell Moore Morel Morgan Muller Murphy Nguyen Nielsen Novak Olsen "
    "Owen Park Patel Perez Peters Petit Phillips Price Reed Richter Roberts Robinson Rossi Roux Russo "
    "Sanchez Santos Schmidt Schneider Schulz Scott Shah Silva Singh Smith Sousa Stewart Suzuki Taylor "
    "Thomas Thompson Turner Vogel Wagner Walker Walsh Wang Ward Weber Wilson Wolf Wood Wright Young "
    "Zhang Zimmermann"
)

COMPANY_FIRST = _words(
    "Acme Aldmark Alpine Amber Apex Arbor Argent Ashford Aurora Axial Azure Baltic Beacon Birch "
    "Blue Bolt Brightwater Cedar Cinder Cobalt Coral Crescent Crown Delta Ember Evergreen Falcon Fern "
    "Frontier Garnet Glacier Globex Granite Harbor Hawthorn Helix Highland Horizon Indigo Initech "
    "Iron Ivory Jade Juniper Keystone Kestrel Lakeside Lantern Larch Linden Lumen Maple Meridian "
    "Mistral Monarch Northwind Nova Oak Obsidian Onyx Orion Pacific Pinnacle Polar Prairie Quartz "
    "Quill Raven Redwood Ridge River Sable Saffron Sierra Silver Solstice Sterling Summit Tidal "
    "Topaz Umbra Vanguard Vertex Willow Zenith"
)

COMPANY_SECOND = _words(
    "Analytics Bank Biotech Brands Capital Chemicals Cloud Components Construction Consumer Data "
    "Devices Diagnostics Dynamics Electric Energy Engineering Foods Freight Goods Grid Group Health "
    "Holdings Hotels Industries Insurance Instruments Labs Logistics Machinery Marine Materials Media "
    "Medical Metals Mining Mobility Motors Networks Optics Outfitters Packaging Partners Pharma "
    "Plastics Power Precision Properties Publishing Rail Realty Resources Retail Robotics Security "
    "Semiconductors Shipping Software Solar Steel Supply Systems Telecom Textiles Therapeutics Tools "
    "Trading Transit Travel Utilities Ventures Water Wholesale Wireless Works"
)

# Legal suffix per entity country, and the way a clerk may have typed it into the ERP instead.
LEGAL_SUFFIXES = {
    "US": ("Inc.", "LLC", "Corporation", "Corp."),
    "UK": ("Ltd", "PLC", "Limited"),
    "DE": ("GmbH", "AG", "SE"),
    "FR": ("SA", "SAS"),
    "LATAM": ("S.A. de C.V.", "Ltda."),
    "APAC": ("Pte. Ltd.", "Pty Ltd"),
}
_SUFFIX_VARIANTS = {
    "Inc.": ("Inc", ", Inc.", "Incorporated"),
    "LLC": ("L.L.C.", ", LLC"),
    "Corporation": ("Corp.", "Corp"),
    "Corp.": ("Corporation", "Corp"),
    "Ltd": ("Ltd.", "Limited"),
    "PLC": ("plc", "P.L.C."),
    "Limited": ("Ltd", "Ltd."),
    "GmbH": ("Gmbh", "G.m.b.H."),
    "AG": ("A.G.",),
    "SE": ("S.E.",),
    "SA": ("S.A.",),
    "SAS": ("S.A.S.",),
}
_LEGAL_WORDS = re.compile(
    r"\b(inc|incorporated|llc|l l c|corporation|corp|ltd|limited|plc|p l c|gmbh|g m b h|ag|a g|se|s e|"
    r"sa|s a|sas|s a s|de c v|ltda|pte|pty|co)\b"
)


def company_core(name: str) -> str:
    """A company name reduced to what identifies it: lower case, no punctuation, no legal suffix."""
    words = re.sub(r"[^a-z0-9 ]+", " ", name.casefold().replace("&", " and "))
    return " ".join(_LEGAL_WORDS.sub(" ", words).split())


def erp_variant(name: str, rng: random.Random) -> str:
    """How a clerk may have keyed ``name`` into the ERP: another spelling of its legal suffix, or capitals.

    The result always has the same :func:`company_core` as ``name``.
    """
    for suffix, variants in _SUFFIX_VARIANTS.items():
        if name.endswith(" " + suffix):
            base = name[: -len(suffix) - 1]
            choice = rng.choice(variants)
            return base + choice if choice.startswith(",") else f"{base} {choice}"
    return name.upper()
