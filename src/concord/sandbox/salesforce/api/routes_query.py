"""``query`` and ``queryAll`` with the SOQL subset, and ``nextRecordsUrl`` paging."""

from __future__ import annotations

from collections.abc import Mapping

from concord.sandbox.salesforce.api.request import ApiRequest, ApiResponse, Router
from concord.sandbox.salesforce.cursors import batch_size
from concord.sandbox.salesforce.errors import SalesforceApiError
from concord.sandbox.salesforce.soql.errors import SoqlError
from concord.sandbox.salesforce.soql.executor import run_query


def _resource(include_deleted: bool) -> str:
    return "queryAll" if include_deleted else "query"


def query(request: ApiRequest, include_deleted: bool) -> ApiResponse:
    """Run ``?q=`` and answer its first batch."""
    text = request.query.get("q")
    if not text:
        raise SalesforceApiError.single(400, "MALFORMED_QUERY", "A query string has to be specified")
    org = request.org
    try:
        result = run_query(
            text,
            catalog=org.catalog,
            source=org.repo,
            now=org.state.clock.now(),
            api_version=request.version,
            include_deleted=include_deleted,
        )
    except SoqlError as error:
        raise SalesforceApiError.single(400, error.code, error.render(text)) from None
    if not result.records:
        return ApiResponse(200, {"totalSize": result.total_size, "done": True, "records": []})
    page = org.cursors.first_page(
        request.session.user_id,
        result.records,
        batch_size(request.headers.get("sforce-query-options")),
        version=request.version,
        resource=_resource(include_deleted),
    )
    return ApiResponse(200, page)


def query_more(request: ApiRequest, locator: str, include_deleted: bool) -> ApiResponse:
    """The batch behind a ``nextRecordsUrl``."""
    options = request.headers.get("sforce-query-options")
    page = request.org.cursors.next_page(
        request.session.user_id,
        locator,
        batch_size(options) if options else None,
        version=request.version,
        resource=_resource(include_deleted),
    )
    return ApiResponse(200, page)


def register(router: Router) -> None:
    """Add the query routes."""

    def run(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
        return query(request, include_deleted=False)

    def run_all(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
        return query(request, include_deleted=True)

    def more(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
        return query_more(request, params["locator"], include_deleted=False)

    def more_all(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
        return query_more(request, params["locator"], include_deleted=True)

    router.add("GET", r"/query", run)
    router.add("GET", r"/queryAll", run_all)
    router.add("GET", r"/query/(?P<locator>[^/]+)", more)
    router.add("GET", r"/queryAll/(?P<locator>[^/]+)", more_all)
