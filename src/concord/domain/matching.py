"""Is a customer record in one system the same business as a customer in another? Pure scoring, no I/O.

Systems spell the same company differently ("ACME", "Acme GmbH", "The Acme Company, Inc."), store tax
ids with and without spaces or a country prefix, and know a company's web site or only its people's
email addresses. This module brings each of those to one normal form and scores a record against known
customers, strongest evidence first:

- the same tax registration is very high confidence: it is the legal identity of the business;
- the same web domain and a similar name is high confidence;
- a similar name alone is medium confidence: a person should look before two records are joined.

Two different tax ids in the same country are evidence *against*: group companies often share a name
and a domain but are separate legal entities that are invoiced separately. Free email providers'
domains say nothing about who the customer is and are ignored.

Every match carries its confidence in [0, 1] and its reasons in words, for the exception queue.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Final, NamedTuple

if TYPE_CHECKING:
    from concord.domain.objects.parties import Customer

__all__ = [
    "CustomerFacts",
    "Match",
    "TaxId",
    "domain_of",
    "name_similarity",
    "normalise_name",
    "normalise_tax_id",
    "rank_matches",
    "score",
]

#: Words that say what legal form a company has, not which company it is. Multi-word forms
#: ("gmbh & co kg", "pty ltd") fall apart into these tokens and are stripped one by one.
LEGAL_FORMS: Final = frozenset(
    {
        # English-speaking
        "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "llp",
        "lp", "plc", "pty", "pte", "pvt",
        # German-speaking and Nordic
        "gmbh", "ag", "kg", "kgaa", "ohg", "ug", "ev", "se", "ab", "as", "asa", "aps", "oy", "oyj",
        # French, Spanish, Italian, Portuguese
        "sa", "sas", "sasu", "sarl", "eurl", "sl", "sau", "srl", "spa", "sapa", "lda", "ltda",
        # Dutch, Belgian, Czech, Japanese
        "bv", "nv", "bvba", "vof", "sro", "kk",
    }
)  # fmt: skip
#: Connecting words that end a name only once a legal form is gone ("Acme & Co" → "acme and").
DANGLING: Final = frozenset({"and", "und", "et"})
LEADING_ARTICLES: Final = frozenset({"the"})

#: Mail providers anyone can use: a shared domain here says nothing about the business.
FREE_MAIL_DOMAINS: Final = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
        "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "gmx.de", "gmx.net", "web.de",
        "t-online.de", "proton.me", "protonmail.com", "mail.com", "yandex.ru", "qq.com", "163.com",
        "orange.fr", "free.fr", "laposte.net", "libero.it", "btinternet.com",
    }
)  # fmt: skip

#: VAT-style country prefixes that may lead a tax id ("DE123456789", "EL094014201", "CHE-123.456.789").
TAX_PREFIXES: Final = {
    **{
        code: code
        for code in (
            "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT",
            "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "GB", "XI", "NO", "CH", "IS", "LI",
        )
    },
    "EL": "GR",  # Greece's VAT prefix is not its ISO code
    "CHE": "CH",  # Swiss UID
}  # fmt: skip

#: Fewer digits than this is a placeholder people typed ("n/a", "TBD", "-"), not a registration.
MIN_TAX_ID_DIGITS = 4

#: Weights of the evidence tiers; each tier's top is below the next tier's bottom, so stronger
#: evidence always outranks weaker evidence, whatever the names look like.
TAX_BASE, TAX_NAME_WEIGHT = 0.96, 0.04
DOMAIN_BASE, DOMAIN_NAME_WEIGHT = 0.55, 0.39
NAME_ONLY_TOP, NAME_ONLY_SLOPE = 0.75, 1.5
#: A name-only match below this similarity is no match at all.
MIN_NAME_SIMILARITY = 0.6
#: Confidence a record keeps at most when both sides have different tax ids in the same country.
DIFFERENT_TAX_ID_CAP = 0.5
#: Factor applied when both records' billing countries are known and differ.
OTHER_COUNTRY_FACTOR = 0.8


class TaxId(NamedTuple):
    """A tax registration: the country when known (from a prefix or the billing address) and the number."""

    country: str | None
    number: str

    def __str__(self) -> str:
        return f"{self.country or ''}{self.number}"

    def same_as(self, other: TaxId) -> bool:
        """The same registration: equal numbers, in the same country where both countries are known."""
        return self.number == other.number and _compatible(self.country, other.country)

    def conflicts_with(self, other: TaxId) -> bool:
        """Different registrations in the same country: two separate legal entities."""
        return self.number != other.number and self.country is not None and self.country == other.country


def _compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def _fold(text: str) -> str:
    """Lower case without accents: 'Müller Öl' → 'muller ol' (letters of other scripts are kept)."""
    for _ in range(3):
        folded = unicodedata.normalize("NFKD", text).casefold()
        folded = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
        if folded == text:
            break
        text = folded
    return text


def name_tokens(name: str) -> tuple[str, ...]:
    """A company name's distinctive words, in order (see :func:`normalise_name`)."""
    text = _fold(name).replace("&", " and ").replace("+", " and ")
    # Dots and apostrophes join what they separate ("S.A." → "sa", "McDonald's" → "mcdonalds").
    text = re.sub("[.'`\u2019]", "", text)
    tokens = [t for t in re.split(r"[\W_]+", text) if t]
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        if tokens[0] in LEADING_ARTICLES:
            tokens.pop(0)
            changed = True
        elif tokens[-1] in LEGAL_FORMS or tokens[-1] in DANGLING:
            tokens.pop()
            changed = True
    return tuple(tokens)


def normalise_name(name: str) -> str:
    """A company name without case, accents, punctuation, a leading "The" or trailing legal forms.

    'The Acme Company, Inc.' → 'acme'; 'Müller & Söhne GmbH & Co. KG' → 'muller and sohne'. A name that
    is nothing but a legal form keeps its last word rather than becoming empty.
    """
    return " ".join(name_tokens(name))


def normalise_tax_id(tax_id: str | None, country: str | None = None) -> TaxId | None:
    """A tax id without spaces and punctuation, its country prefix split off; None for placeholders.

    ``country`` (ISO 3166 alpha-2, e.g. the billing country) is used when the id has no prefix.
    'de 123 456 789' → DE/123456789; '12-3456789' with country US → US/123456789; 'n/a' → None.
    """
    if not tax_id:
        return None
    compact = re.sub(r"[^0-9A-Z]", "", _fold(tax_id).upper())
    found = country.upper() if country else None
    for prefix in sorted(TAX_PREFIXES, key=len, reverse=True):
        rest = compact[len(prefix) :]
        if compact.startswith(prefix) and rest and any(c.isdigit() for c in rest):
            found, compact = TAX_PREFIXES[prefix], rest
            break
    if found == "CH":
        compact = re.sub(r"(?:MWST|TVA|IVA)$", "", compact)
    if sum(c.isdigit() for c in compact) < MIN_TAX_ID_DIGITS or not compact.strip("0"):
        return None
    return TaxId(found, compact)


def domain_of(address: str | None) -> str | None:
    """The web domain of a web site or an email address, or None for none (or a free mail provider).

    'https://www.Acme.com/about?x=1' → 'acme.com'; 'ana@eu.acme.com' → 'eu.acme.com';
    'someone@gmail.com' → None.
    """
    if not address:
        return None
    text = address.strip().lower()
    if "@" in text and "://" not in text:
        text = text.rsplit("@", 1)[1]
    else:
        text = text.split("://", 1)[-1]
        text = re.split(r"[/?#]", text, maxsplit=1)[0]
        text = text.rsplit("@", 1)[-1]  # user:password@host
    text = text.split(":", 1)[0].strip(" \t<>.")
    text = re.sub(r"^www\d*\.", "", text)
    if not re.fullmatch(r"[a-z0-9\u00a0-\uffff-]+(?:\.[a-z0-9\u00a0-\uffff-]+)+", text):
        return None
    if text in FREE_MAIL_DOMAINS:
        return None
    return text


def _same_site(a: str, b: str) -> bool:
    """Equal domains, or one a subdomain of the other ('eu.acme.com' and 'acme.com')."""
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    return longer.endswith("." + shorter) and not _is_public_suffix(shorter)


def _is_public_suffix(domain: str) -> bool:
    labels = domain.split(".")
    return len(labels) < 2 or (
        len(labels) == 2 and len(labels[1]) == 2 and labels[0] in {"co", "com", "org", "net", "ac", "gov"}
    )


def name_similarity(a: str, b: str) -> float:
    """How alike two normalised names are, in [0, 1]; symmetric.

    The better of a character measure on the words in sorted order (typos, word order) and the share
    of words both names have (one name with an extra word); 1.0 only for equal names.
    """
    if a == b:
        return 1.0 if a else 0.0
    left, right = sorted((a, b))
    words_left, words_right = Counter(left.split()), Counter(right.split())
    union = sum((words_left | words_right).values())
    shared = sum((words_left & words_right).values()) / union if union else 0.0
    ordered = SequenceMatcher(
        None,
        " ".join(sorted(words_left.elements())),
        " ".join(sorted(words_right.elements())),
        autojunk=False,
    ).ratio()
    # The same words in another order are nearly, not exactly, the same name: 1.0 means equal.
    return min(max(shared, ordered), 0.99)


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What identifies a customer record in one system, as far as matching cares.

    ``system`` and ``system_id`` say which record it is; ``global_id`` is its global id when already
    known. ``country`` is the billing country (ISO 3166 alpha-2); ``website`` and ``emails`` give
    the web domain.
    """

    name: str
    tax_id: str | None = None
    country: str | None = None
    website: str | None = None
    emails: tuple[str, ...] = ()
    system: str = ""
    system_id: str = ""
    global_id: str | None = None

    @classmethod
    def of(
        cls,
        customer: Customer,
        system: str,
        system_id: str,
        *,
        website: str | None = None,
        emails: Iterable[str] = (),
        global_id: str | None = None,
    ) -> CustomerFacts:
        """The facts of a canonical customer (its web site and contacts' emails come from elsewhere)."""
        return cls(
            name=customer.name,
            tax_id=customer.tax_profile.tax_id if customer.tax_profile else None,
            country=customer.billing_address.country if customer.billing_address else None,
            website=website,
            emails=tuple(emails),
            system=system,
            system_id=system_id,
            global_id=global_id,
        )


@dataclass(frozen=True, slots=True)
class _Normal:
    """A record's facts in normal form, computed once per record."""

    name: str
    tax_id: TaxId | None
    country: str | None
    domains: frozenset[str]

    @classmethod
    def of(cls, facts: CustomerFacts) -> _Normal:
        country = facts.country.upper() if facts.country else None
        domains = {domain_of(facts.website), *(domain_of(e) for e in facts.emails)}
        return cls(
            name=normalise_name(facts.name),
            tax_id=normalise_tax_id(facts.tax_id, country),
            country=country,
            domains=frozenset(d for d in domains if d),
        )


@dataclass(frozen=True, slots=True)
class Match:
    """A known customer that may be the same business, how sure that is, and why."""

    candidate: CustomerFacts
    confidence: float
    reasons: tuple[str, ...]

    @property
    def explanation(self) -> str:
        """The reasons in one phrase: 'same tax id DE123456789; names match after normalising: 'acme''."""
        return "; ".join(self.reasons)


def score(record: CustomerFacts, candidate: CustomerFacts) -> Match | None:
    """How likely ``candidate`` is the same business as ``record``; None when nothing points to it."""
    return _score(_Normal.of(record), candidate, _Normal.of(candidate))


def rank_matches(
    record: CustomerFacts, candidates: Iterable[CustomerFacts], *, minimum: float = 0.0
) -> list[Match]:
    """Candidates that may be ``record``, most likely first (ties: by system, then id).

    The record itself (same system and id) is never its own match.
    """
    normal = _Normal.of(record)
    found = []
    for candidate in candidates:
        if candidate.system == record.system and candidate.system_id == record.system_id:
            continue
        match = _score(normal, candidate, _Normal.of(candidate))
        if match is not None and match.confidence >= minimum:
            found.append(match)
    found.sort(key=lambda m: (-m.confidence, m.candidate.system, m.candidate.system_id))
    return found


def _score(record: _Normal, candidate_facts: CustomerFacts, candidate: _Normal) -> Match | None:
    similarity = name_similarity(record.name, candidate.name)
    name_reason = _name_reason(record.name, candidate.name, similarity)
    reasons: list[str] = []
    confidence = 0.0
    shared_domain = _shared_domain(record.domains, candidate.domains)
    if record.tax_id and candidate.tax_id and record.tax_id.same_as(candidate.tax_id):
        confidence = TAX_BASE + TAX_NAME_WEIGHT * similarity
        reasons.append(f"same tax id {_best_tax_label(record.tax_id, candidate.tax_id)}")
        if similarity >= MIN_NAME_SIMILARITY:
            reasons.append(name_reason)
        else:
            first, second = sorted((record.name, candidate.name))
            reasons.append(f"although the names differ: '{first}' and '{second}'")
    elif shared_domain:
        confidence = DOMAIN_BASE + DOMAIN_NAME_WEIGHT * similarity
        reasons.append(f"same web domain {shared_domain}")
        if similarity >= MIN_NAME_SIMILARITY:
            reasons.append(name_reason)
    elif similarity >= MIN_NAME_SIMILARITY:
        confidence = max(0.0, NAME_ONLY_TOP - NAME_ONLY_SLOPE * (1.0 - similarity))
        reasons.append(name_reason)
    if confidence <= 0.0:
        return None
    if record.tax_id and candidate.tax_id and record.tax_id.conflicts_with(candidate.tax_id):
        confidence = min(confidence, DIFFERENT_TAX_ID_CAP)
        pair = " and ".join(sorted((str(record.tax_id), str(candidate.tax_id))))
        reasons.append(f"but their tax ids differ: {pair}")
    if record.country and candidate.country and record.country != candidate.country:
        confidence *= OTHER_COUNTRY_FACTOR
        pair = " and ".join(sorted((record.country, candidate.country)))
        reasons.append(f"but their billing countries differ: {pair}")
    return Match(candidate_facts, round(min(1.0, confidence), 4), tuple(reasons))


def _name_reason(a: str, b: str, similarity: float) -> str:
    if a == b:
        return f"names match after normalising: '{a}'"
    first, second = sorted((a, b))
    return f"similar names: '{first}' and '{second}' ({similarity:.2f})"


def _shared_domain(a: frozenset[str], b: frozenset[str]) -> str | None:
    shared = sorted(min(x, y, key=len) for x in a for y in b if _same_site(x, y))
    return shared[0] if shared else None


def _best_tax_label(a: TaxId, b: TaxId) -> str:
    """The fuller spelling of the shared tax id (the one that knows its country)."""
    return str(a if a.country else b)
