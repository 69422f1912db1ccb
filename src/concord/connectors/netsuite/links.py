"""Addresses in NetSuite's REST web services: record keys, ``Location`` headers, ``links`` and collection
pages.

Every URL the platform hands back (a created record's ``Location``, a job's links, a collection's
``next``) is followed only on the host the client was configured with, so the bearer token never
leaves for another host.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from concord.connectors.http.paging import Page
from concord.connectors.netsuite.errors import SYSTEM
from concord.engine.errors import CannotEncode, PermanentError, TransientError

RECORD_PATH = "/services/rest/record/v1"
QUERY_PATH = "/services/rest/query/v1/suiteql"

Record = dict[str, Any]
_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_INTERNAL_ID = re.compile(r"^[0-9]{1,18}$")
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f/?#%]")


@dataclass(frozen=True, slots=True)
class ExternalId:
    """A record addressed by its external id (``eid:`` in the URL), e.g. Concord's global id."""

    value: str

    def __post_init__(self) -> None:
        if not self.value or _FORBIDDEN.search(self.value) or self.value.strip() != self.value:
            raise CannotEncode(f"{self.value!r} cannot be a {SYSTEM} external id")

    def segment(self) -> str:
        """``eid:<value>`` as a URL path segment."""
        return "eid:" + quote(self.value, safe="")


RecordKey = str | ExternalId
"""An internal id (``"647"``), ``"eid:<value>"`` or an ``ExternalId``."""


def type_segment(record_type: str) -> str:
    """A record type id as a path segment (``customer``, ``timeBill``, ``customrecord_x``)."""
    if not _TYPE.match(record_type):
        raise CannotEncode(f"{record_type!r} is not a valid {SYSTEM} record type id")
    return record_type


def key_segment(key: RecordKey) -> str:
    """A record key as a path segment: the internal id, or ``eid:<value>``."""
    if isinstance(key, ExternalId):
        return key.segment()
    if key.startswith("eid:"):
        return ExternalId(key[4:]).segment()
    if not _INTERNAL_ID.match(key):
        raise CannotEncode(
            f"{key!r} is not a {SYSTEM} internal id; address by external id with ExternalId(...)"
        )
    return key


def record_path(record_type: str, key: RecordKey | None = None) -> str:
    """``/services/rest/record/v1/{type}[/{key}]``."""
    path = f"{RECORD_PATH}/{type_segment(record_type)}"
    return path if key is None else f"{path}/{key_segment(key)}"


def id_from_location(location: str | None) -> str | None:
    """The internal id at the end of a record ``Location`` (``.../record/v1/customer/647`` → ``647``)."""
    if not location:
        return None
    last = urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]
    return last if _INTERNAL_ID.match(last) else None


class HostGuard:
    """Accepts URLs on the configured API host only.

    Args:
        api_url: Scheme and host of the REST web services.
    """

    def __init__(self, api_url: str) -> None:
        parts = urlsplit(api_url)
        self._origin = (parts.scheme.lower(), parts.netloc.lower())

    def check(self, url: str) -> str:
        """``url`` itself when it is on the API host (relative URLs are).

        Raises:
            PermanentError: it points elsewhere (the token must not be sent there).
        """
        parts = urlsplit(url)
        if not parts.netloc:
            return url
        if (parts.scheme.lower(), parts.netloc.lower()) != self._origin:
            raise PermanentError(
                f"{SYSTEM} pointed to {parts.scheme}://{parts.netloc}, not the configured host"
            )
        return url


def link(links: Any, rel: str) -> str | None:
    """The ``href`` of the ``rel`` entry of a ``links`` array."""
    if not isinstance(links, list):
        return None
    for entry in links:
        if isinstance(entry, Mapping) and entry.get("rel") == rel and isinstance(entry.get("href"), str):
            return str(entry["href"])
    return None


def collection_page(body: Any, what: str, *, drop_links: bool = False) -> Page[Record]:
    """One page of a collection (``items``, ``hasMore``, ``links[rel=next]``, ``totalResults``).

    Raises:
        TransientError: the answer is not a collection, or says there is more without saying where.
    """
    if not isinstance(body, Mapping) or not isinstance(body.get("items"), list):
        raise TransientError(f"{SYSTEM} answered {what} without items")
    items: list[Record] = [
        {k: v for k, v in item.items() if not (drop_links and k == "links")}
        for item in body["items"]
        if isinstance(item, Mapping)
    ]
    next_href = link(body.get("links"), "next") if body.get("hasMore") else None
    if body.get("hasMore") and next_href is None:
        raise TransientError(f"{SYSTEM} answered {what} with hasMore but no next link")
    total = body.get("totalResults")
    return Page(items, next_href, total if isinstance(total, int) else None)
