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


def test_a_digest_is_the_sha256_of_the_values_canonical_json_however_often_it_is_asked() -> None:
    """Digests are kept in record memory: the one remembered for a value never changes. Short scalars
    (asked for on every record of a page) give the same digest the second time, and True is not 1."""
    import hashlib
    import json

    def by_definition(value: object) -> str:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_LENGTH]

    values = ["Acme", "Ünïcode \n\x01 \u2028", "x" * 300, 7, 10**30, True, False, 1, 0, None, 1.5]
    values += [{"b": [1, None], "a": "é"}, [True, "1"], Decimal("10.50")]
    for value in values * 2:
        assert digest(value) == by_definition(value), value
    assert digest(True) != digest(1) and digest(False) != digest(0)
