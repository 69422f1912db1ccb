"""Field digests: equal values digest equally, different values differently, the envelope is left out."""

from __future__ import annotations

from decimal import Decimal

from concord.governance.fingerprint import DIGEST_LENGTH, business_fields, digest, fingerprint


def test_equal_values_digest_equally_whatever_their_key_order() -> None:
    assert digest({"amount": "10.00", "currency": "USD"}) == digest({"currency": "USD", "amount": "10.00"})
    assert len(digest("Acme")) == DIGEST_LENGTH


def test_different_values_digest_differently() -> None:
    values = ["Acme", "acme", "Acme ", None, "", 0, "0", ["a"], {"a": None}, {"amount": "10.0"}]
    assert len({digest(v) for v in values}) == len(values)


def test_exact_numbers_digest_as_their_text() -> None:
    assert digest(Decimal("10.50")) == digest("10.50")
    assert digest(Decimal("10.50")) != digest(Decimal("10.5"))


def test_only_business_fields_are_fingerprinted() -> None:
    payload = {
        "global_id": "01J9Z3K6T8V2M4N5P7Q8R9S0TA",
        "system_ids": {"salesforce": "001"},
        "source_system": "salesforce",
        "source_changed_at": "2026-03-02T09:00:00Z",
        "source_version": "7",
        "correlation_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "name": "Acme",
        "payment_terms": None,
    }
    assert business_fields(payload) == {"name": "Acme", "payment_terms": None}
    assert fingerprint(payload) == {"name": digest("Acme"), "payment_terms": digest(None)}
