"""Customer matching: names, tax ids and web domains in normal form, and scores ranked by evidence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from concord.domain.matching import (
    CustomerFacts,
    TaxId,
    domain_of,
    name_similarity,
    normalise_name,
    normalise_tax_id,
    rank_matches,
    score,
)

NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
COMPANY_WORDS = st.sampled_from(
    ["acme", "globex", "initech", "Umbrella", "Müller", "Søn", "The", "Inc.", "GmbH", "&", "Co", "S.A.",
     "Ltd", "consulting", "partners", "plc", "Société", "group"]
)  # fmt: skip
COMPANY_NAMES = st.lists(COMPANY_WORDS, min_size=1, max_size=5).map(" ".join)
NOISE = st.sampled_from([" ", "-", ".", "/", ""])


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("The Acme Company, Inc.", "acme"),
        ("ACME", "acme"),
        ("Acme GmbH", "acme"),
        ("acme  ltd.", "acme"),
        ("Müller & Söhne GmbH & Co. KG", "muller and sohne"),
        ("Société Générale S.A.", "societe generale"),
        ("McDonald's Corp", "mcdonalds"),
        ("A.B.C. Consulting LLC", "abc consulting"),
        ("Acme & Co", "acme"),
        ("Acme Holdings plc", "acme holdings"),
        ("The Company", "company"),  # nothing but a legal form keeps its last word
        ("Theatre Royal Ltd", "theatre royal"),
        ("Ōkura Kōgyō K.K.", "okura kogyo"),
        ("東京商事 K.K.", "東京商事"),  # other scripts are kept, not dropped
    ],
)
def test_names_are_normalised(raw: str, normal: str) -> None:
    assert normalise_name(raw) == normal


@given(NAMES)
def test_normalising_a_name_twice_changes_nothing(name: str) -> None:
    once = normalise_name(name)
    assert normalise_name(once) == once


@given(COMPANY_NAMES)
def test_case_and_legal_suffixes_do_not_change_a_normalised_name(name: str) -> None:
    normal = normalise_name(name)
    assert normalise_name(name.upper()) == normal
    assert normalise_name(f"The {name}, Inc.") == normal or normal in ("inc", "the", "and")
    assert normal  # a company name never normalises to nothing


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("DE123456789", None, TaxId("DE", "123456789")),
        ("de 123 456 789", None, TaxId("DE", "123456789")),
        ("123456789", "de", TaxId("DE", "123456789")),
        ("12-3456789", "US", TaxId("US", "123456789")),
        ("12-3456789", None, TaxId(None, "123456789")),
        ("ATU12345678", None, TaxId("AT", "U12345678")),
        ("EL094014201", None, TaxId("GR", "094014201")),
        ("CHE-123.456.789 MWST", None, TaxId("CH", "123456789")),
        ("GB 123 4567 89", "US", TaxId("GB", "123456789")),  # the prefix wins over the billing country
        ("n/a", "DE", None),
        ("TBD", None, None),
        ("0000000", None, None),
        ("", None, None),
        (None, "DE", None),
    ],
)
def test_tax_ids_are_normalised(raw: str | None, country: str | None, expected: TaxId | None) -> None:
    assert normalise_tax_id(raw, country) == expected


@given(st.lists(st.tuples(st.sampled_from("0123456789"), NOISE), min_size=6, max_size=12))
def test_spaces_and_punctuation_in_a_tax_id_do_not_matter(parts: list[tuple[str, str]]) -> None:
    digits = "".join(d for d, _ in parts)
    noisy = "DE " + "".join(d + n for d, n in parts)
    if digits.strip("0"):
        assert normalise_tax_id(noisy) == TaxId("DE", digits)
        assert normalise_tax_id(digits, "DE") == normalise_tax_id(noisy)


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("https://www.Acme.com/about?x=1", "acme.com"),
        ("acme.com", "acme.com"),
        ("www.acme.de/", "acme.de"),
        ("acme.com:8080/x", "acme.com"),
        ("http://user:pw@www2.acme.co.uk:443/", "acme.co.uk"),
        ("ana@eu.acme.com", "eu.acme.com"),
        ("Ana <ana@acme.com>", "acme.com"),
        ("someone@gmail.com", None),  # a free mail provider says nothing about the business
        ("not a web site", None),
        ("", None),
        (None, None),
    ],
)
def test_domains_come_from_web_sites_and_emails(raw: str | None, domain: str | None) -> None:
    assert domain_of(raw) == domain


def facts(name: str, system: str = "salesforce", system_id: str = "1", **more: object) -> CustomerFacts:
    return CustomerFacts(name=name, system=system, system_id=system_id, **more)  # type: ignore[arg-type]


def test_the_same_tax_id_is_very_high_confidence_and_says_so() -> None:
    match = score(
        facts("Acme GmbH", "netsuite", "812", tax_id="DE 123 456 789"),
        facts("ACME", tax_id="123456789", country="DE"),
    )
    assert match is not None
    assert match.confidence >= 0.96
    assert match.reasons == ("same tax id DE123456789", "names match after normalising: 'acme'")


def test_the_same_domain_and_a_similar_name_is_high_confidence() -> None:
    match = score(
        facts("Acme Consulting", website="https://acme.com"),
        facts("Acme Consultng LLC", "netsuite", emails=("bob@acme.com",)),
    )
    assert match is not None
    assert 0.85 <= match.confidence < 0.96
    assert match.reasons[0] == "same web domain acme.com"
    assert match.reasons[1].startswith("similar names: 'acme consulting' and 'acme consultng'")


def test_a_shared_free_mail_domain_is_no_evidence() -> None:
    assert score(facts("Acme", emails=("a@gmail.com",)), facts("Globex", emails=("b@gmail.com",))) is None


def test_names_alone_are_medium_confidence() -> None:
    match = score(facts("Acme GmbH", "netsuite", "812"), facts("ACME"))
    assert match is not None
    assert 0.6 <= match.confidence < 0.9
    assert match.explanation == "names match after normalising: 'acme'"


def test_unrelated_names_are_no_match() -> None:
    assert score(facts("Acme"), facts("Globex Corporation")) is None


def test_different_tax_ids_in_one_country_keep_look_alikes_apart() -> None:
    match = score(
        facts("Acme GmbH", tax_id="DE111111111", website="acme.com"),
        facts("Acme GmbH", "netsuite", tax_id="DE222222222", website="acme.com"),
    )
    assert match is not None
    assert match.confidence <= 0.5
    assert "but their tax ids differ: DE111111111 and DE222222222" in match.reasons


def test_different_billing_countries_lower_a_name_match() -> None:
    same = score(facts("Acme", country="DE"), facts("Acme", "netsuite", country="DE"))
    other = score(facts("Acme", country="DE"), facts("Acme", "netsuite", country="US"))
    assert same is not None and other is not None
    assert other.confidence < same.confidence
    assert other.reasons[-1] == "but their billing countries differ: DE and US"


TAX_IDS = st.sampled_from([None, "DE123456789", "DE 987 654 321", "12-3456789", "GB123456789"])
WEBSITES = st.sampled_from([None, "acme.com", "https://www.globex.com", "initech.de"])
COUNTRIES = st.sampled_from([None, "DE", "US", "GB"])
ANY_FACTS = st.builds(
    CustomerFacts,
    name=COMPANY_NAMES,
    tax_id=TAX_IDS,
    country=COUNTRIES,
    website=WEBSITES,
    system=st.sampled_from(["salesforce", "netsuite"]),
    system_id=st.sampled_from(["1", "2", "3"]),
)


@given(ANY_FACTS, ANY_FACTS)
def test_scores_are_symmetric_and_between_zero_and_one(a: CustomerFacts, b: CustomerFacts) -> None:
    ab, ba = score(a, b), score(b, a)
    assert (ab is None) == (ba is None)
    if ab is not None and ba is not None:
        assert ab.confidence == ba.confidence
        assert 0.0 < ab.confidence <= 1.0
        assert ab.reasons


@given(COMPANY_NAMES, COMPANY_NAMES, COUNTRIES)
def test_a_shared_tax_id_outranks_any_name(name: str, other_name: str, country: str | None) -> None:
    record = facts(name, "netsuite", "812", tax_id="DE123456789", country=country)
    same_tax = facts(other_name, system_id="A", tax_id="DE 123456789", country=country)
    same_name = facts(name, system_id="B", country=country)
    ranked = rank_matches(record, [same_name, same_tax])
    assert ranked[0].candidate is same_tax


@given(COMPANY_NAMES, COMPANY_NAMES)
def test_name_similarity_is_symmetric_and_one_only_for_equal_names(a: str, b: str) -> None:
    left, right = normalise_name(a), normalise_name(b)
    assert name_similarity(left, right) == name_similarity(right, left)
    assert (name_similarity(left, right) == 1.0) == (left == right)


def test_ranking_skips_the_record_itself_and_orders_by_confidence() -> None:
    record = facts("Acme GmbH", "netsuite", "812", tax_id="DE123456789")
    ranked = rank_matches(
        record,
        [
            facts("Acme", system_id="A"),
            facts("Acme GmbH", "netsuite", "812", tax_id="DE123456789"),  # itself
            facts("Acme AG", system_id="B", tax_id="DE123456789"),
            facts("Initech", system_id="C"),
        ],
    )
    assert [m.candidate.system_id for m in ranked] == ["B", "A"]


def test_ranking_can_leave_out_weak_matches() -> None:
    record = facts("Acme Consulting", "netsuite")
    weak = facts("Acme Consultants", system_id="A")
    assert rank_matches(record, [weak])
    assert rank_matches(record, [weak], minimum=0.99) == []
