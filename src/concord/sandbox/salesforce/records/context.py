"""Who is calling and in which transaction: what every write needs for audit fields and change events."""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass, field


def new_transaction_key() -> str:
    """A CDC ``transactionKey``: 128 random bits as 8-4-4-4-12 hex digits, as the platform shows them
    (``0002343d-9d90-e395-ed20-cf416ba652ad``; not a versioned UUID). Drawn from ``random`` rather than
    ``uuid4``: every record of a non-atomic collection call is a transaction of its own."""
    digits = f"{random.getrandbits(128):032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


@dataclass
class CallContext:
    """The caller of one API request (or one all-or-none group of writes).

    Attributes:
        user_id: The session's user (``CreatedById``/``LastModifiedById``, CDC ``commitUser``).
        api_version: The request's API version, e.g. ``"59.0"``.
        client: The ``client=`` of the ``Sforce-Call-Options`` header, echoed in CDC ``changeOrigin``
            so a connector can recognise its own writes.
        transaction_key: Shared by the change events of one transaction.
        commit_number: The transaction's system change number.
    """

    user_id: str
    api_version: str
    client: str | None = None
    transaction_key: str = field(default_factory=new_transaction_key)
    commit_number: int = field(default_factory=time.time_ns)
    record_changes: bool = True
    _sequence: itertools.count[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    @property
    def change_origin(self) -> str:
        """CDC ``changeOrigin``: ``com/salesforce/api/rest/59.0;client=<client>``."""
        origin = f"com/salesforce/api/rest/{self.api_version}"
        return f"{origin};client={self.client}" if self.client else origin

    def next_sequence(self) -> int:
        """The next CDC ``sequenceNumber`` within this transaction (from 1)."""
        return next(self._sequence)

    def new_transaction(self) -> CallContext:
        """The same caller in a fresh transaction (for all-or-none = false groups)."""
        return CallContext(self.user_id, self.api_version, self.client, record_changes=self.record_changes)
