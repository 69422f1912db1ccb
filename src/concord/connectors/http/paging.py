"""Paging: every platform hands out results a page at a time and says where the next page is.

A platform client writes one ``fetch(next_token)`` coroutine that returns a ``Page`` (the items and the
token of the next page, or None on the last one); ``follow_pages`` and ``iterate_items`` do the rest.
The token is whatever the platform uses: Salesforce's ``nextRecordsUrl``, NetSuite's ``links[rel=next]``,
Kantata's next page number.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from concord.engine.errors import PermanentError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of results.

    Attributes:
        items: The page's records.
        next: Where the next page is (a link, a cursor, a page number), or None on the last page.
        total: The platform's count of all results, when it gives one.
    """

    items: Sequence[T]
    next: str | None = None
    total: int | None = None


class Paginator(Protocol[T]):
    """Anything that yields the pages of one result set, in order."""

    def pages(self) -> AsyncIterator[Page[T]]:
        """The pages, first to last."""
        ...


FetchPage = Callable[[str | None], Awaitable[Page[T]]]


class NextLinkPaginator(Generic[T]):
    """Follows "next" links: calls ``fetch(None)`` for the first page, then ``fetch(page.next)`` until a
    page has no next.

    Args:
        fetch: Fetches the page at a token (None = the first page).
        max_pages: Stop after this many pages (None = all).

    Raises:
        PermanentError: (while iterating) the platform sent the same next token twice in a row, which
            would loop forever.
    """

    def __init__(self, fetch: FetchPage[T], *, max_pages: int | None = None) -> None:
        self._fetch = fetch
        self._max_pages = max_pages

    async def pages(self) -> AsyncIterator[Page[T]]:
        """The pages, first to last."""
        token: str | None = None
        count = 0
        while True:
            page = await self._fetch(token)
            count += 1
            yield page
            if page.next is None or (self._max_pages is not None and count >= self._max_pages):
                return
            if page.next == token:
                raise PermanentError(f"the platform sent the same next-page token twice: {token}")
            token = page.next


async def iterate_items(paginator: Paginator[T]) -> AsyncIterator[T]:
    """Every item of every page of ``paginator``, in order."""
    async for page in paginator.pages():
        for item in page.items:
            yield item


def follow_pages(fetch: FetchPage[T], *, max_pages: int | None = None) -> AsyncIterator[Page[T]]:
    """The pages of a "follow the next link" result set (see ``NextLinkPaginator``)."""
    return NextLinkPaginator(fetch, max_pages=max_pages).pages()
