"""Record ids (18-character checksums, creation-ordered serials) and the platform's datetime text, which
every read and write computes, against the published example and the plain definitions."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from concord.sandbox.salesforce import ids
from concord.sandbox.salesforce.values import format_datetime

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def checksum_by_definition(id15: str) -> str:
    """Per 5-character chunk, bit n is set when character n is upper case; the bits pick a character."""
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << n for n, char in enumerate(id15[start : start + 5]) if "A" <= char <= "Z")
        suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits]
    return suffix


def test_the_published_example_and_random_ids_get_the_defined_checksum() -> None:
    assert ids.to_18("001A0000006Vm9r") == "001A0000006Vm9rIAC"
    assert ids.normalize("001a0000006vm9rIAC") is None  # the checksum no longer fits the case
    dice = random.Random(7)
    for _ in range(2000):
        id15 = "".join(dice.choice(_ALPHABET) for _ in range(15))
        assert ids.checksum_suffix(id15) == checksum_by_definition(id15)


def test_new_ids_are_well_formed_unique_and_in_creation_order() -> None:
    generator = ids.IdGenerator()
    issued = [generator.new_id("001") for _ in range(500)]

    assert len(set(issued)) == 500
    assert all(ids.normalize(record_id) == record_id and record_id[:5] == "0018d" for record_id in issued)
    assert issued == sorted(issued, key=lambda record_id: [_ALPHABET.index(c) for c in record_id[5:15]])


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2024, 5, 20, 20, 49, 32, 999_999, tzinfo=UTC), "2024-05-20T20:49:32.999+0000"),
        (
            datetime(2024, 5, 20, 22, 49, 32, 1_000, tzinfo=timezone(timedelta(hours=2))),
            "2024-05-20T20:49:32.001+0000",
        ),
        (datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC), "0999-01-02T03:04:05.000+0000"),
    ],
)
def test_datetimes_are_shown_in_utc_with_milliseconds(moment: datetime, text: str) -> None:
    assert format_datetime(moment) == text
