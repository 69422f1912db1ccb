"""REST Record API semantics: create/read/update/upsert/delete, lists, sublists, money, errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ns_support import Emulator, NetSuiteClient, error_detail

from concord.sandbox.netsuite.errors import NetSuiteError
from concord.sandbox.netsuite.jsonio import loads_decimal


def test_create_answers_204_with_location_and_get_renders_links_and_references(ns: NetSuiteClient) -> None:
    ids = ns.seed_basics()
    response = ns.http.post(
        "/record/v1/customer",
        json={
            "companyName": "Globex",
            "subsidiary": {"id": ids["subsidiary"]},
            "externalId": "CRM-0042",
            "custentity_concord_correlation_id": "corr-7f3a",
        },
    )

    assert response.status_code == 204 and response.content == b""
    location = response.headers["location"]
    assert location.startswith(ns.base_url + "/services/rest/record/v1/customer/")
    record = ns.get("customer", location.rsplit("/", 1)[1])
    assert record["links"] == [{"rel": "self", "href": location}]
    assert record["companyName"] == "Globex" and record["externalId"] == "CRM-0042"
    assert record["custentity_concord_correlation_id"] == "corr-7f3a"
    assert record["subsidiary"]["id"] == ids["subsidiary"] and record["subsidiary"]["refName"] == "Concord US"
    assert record["subsidiary"]["links"][0]["href"].endswith(f"/record/v1/subsidiary/{ids['subsidiary']}")
    assert record["dateCreated"].endswith("Z") and record["lastModifiedDate"] == record["dateCreated"]


def test_timestamps_come_from_the_emulator_clock(ns: NetSuiteClient) -> None:
    ns.set_clock("2026-03-02T09:15:30Z")
    ids = ns.seed_basics()
    ns.set_clock("2026-03-05T17:00:00Z")
    assert (
        ns.http.patch(f"/record/v1/customer/{ids['customer']}", json={"email": "ap@acme.example"}).status_code
        == 204
    )

    record = ns.get("customer", ids["customer"])

    assert record["dateCreated"] == "2026-03-02T09:15:30Z"
    assert record["lastModifiedDate"] == "2026-03-05T17:00:00Z"
    assert record["email"] == "ap@acme.example" and record["companyName"] == "Acme Consulting"


def test_eid_upsert_creates_then_updates_the_same_record(ns: NetSuiteClient) -> None:
    ids = ns.seed_basics()
    body = {"companyName": "Initech", "subsidiary": {"id": ids["subsidiary"]}}

    first = ns.http.put("/record/v1/customer/eid:CRM-77", json=body)
    second = ns.http.put("/record/v1/customer/eid:CRM-77", json={"companyName": "Initech GmbH"})

    assert first.status_code == second.status_code == 204
    assert first.headers["location"] == second.headers["location"]
    by_eid = ns.get("customer", "eid:CRM-77")
    assert by_eid["companyName"] == "Initech GmbH" and by_eid["externalId"] == "CRM-77"
    listed = ns.http.get("/record/v1/customer", params={"q": "externalId IS CRM-77"}).json()
    assert listed["totalResults"] == 1


def test_put_with_an_internal_id_is_refused(ns: NetSuiteClient) -> None:
    ids = ns.seed_basics()
    response = ns.http.put(f"/record/v1/customer/{ids['customer']}", json={"companyName": "X"})
    assert response.status_code == 405
    assert error_detail(response)["o:errorCode"] == "INVALID_REQUEST"


def test_duplicate_external_id_on_create_is_a_user_error(ns: NetSuiteClient) -> None:
    ids = ns.seed_basics()
    body = {"companyName": "Dup", "subsidiary": {"id": ids["subsidiary"]}, "externalId": "CRM-1"}
    ns.create("customer", body)
    response = ns.http.post("/record/v1/customer", json=body)
    assert response.status_code == 400
    detail = error_detail(response)
    assert detail["o:errorCode"] == "USER_ERROR" and "already exists" in detail["detail"]


def test_delete_answers_204_and_the_record_is_gone(ns: NetSuiteClient) -> None:
    ids = ns.seed_basics()
    assert ns.http.delete(f"/record/v1/employee/{ids['employee']}").status_code == 204
    response = ns.http.get(f"/record/v1/employee/{ids['employee']}")
    assert response.status_code == 404
    detail = error_detail(response)
    assert detail["o:errorCode"] == "NONEXISTENT_ID"
    assert detail["detail"] == "The record instance does not exist. Provide a valid record instance ID."
    assert ns.http.delete(f"/record/v1/employee/{ids['employee']}").status_code == 404


def test_list_pages_with_limit_offset_and_links(ns: NetSuiteClient) -> None:
    subsidiary = ns.create("subsidiary", {"name": "UK Ltd"})
    for n in range(7):
        ns.create("customer", {"companyName": f"Client {n}", "subsidiary": {"id": subsidiary}})

    seen: list[str] = []
    url: str | None = "/record/v1/customer?limit=3&offset=0"
    pages = 0
    while url is not None:
        page = ns.http.get(url).json()
        pages += 1
        assert page["totalResults"] == 7 and page["count"] == len(page["items"])
        seen.extend(item["id"] for item in page["items"])
        assert all(item["links"][0]["rel"] == "self" for item in page["items"])
        rels = {link["rel"]: link["href"] for link in page["links"]}
        assert page["hasMore"] == ("next" in rels)
        if page["offset"] > 0:
            assert "prev" in rels
        url = rels["next"].replace(ns.base_url + "/services/rest", "") if page["hasMore"] else None

    assert pages == 3 and len(seen) == len(set(seen)) == 7


def test_list_filters_with_q(ns: NetSuiteClient) -> None:
    ids = ns.seed_basics()
    ns.create(
        "customer", {"companyName": "Acme Labs", "subsidiary": {"id": ids["subsidiary"]}, "email": "x@y"}
    )
    by_prefix = ns.http.get("/record/v1/customer", params={"q": 'companyName START_WITH "acme"'}).json()
    with_email = ns.http.get("/record/v1/customer", params={"q": "email EMPTY_NOT"}).json()
    bad = ns.http.get("/record/v1/customer", params={"q": "nosuchfield IS 1"})
    assert by_prefix["totalResults"] == 2 and with_email["totalResults"] == 1
    assert bad.status_code == 400 and error_detail(bad)["o:errorQueryParam"] == "q"


def test_sublists_are_links_unless_expanded(ns: NetSuiteClient) -> None:
    ids = ns.seed_basics()
    order = ns.create(
        "salesOrder",
        {
            "entity": {"id": ids["customer"]},
            "job": {"id": ids["job"]},
            "tranDate": "2026-02-02",
            "startDate": "2026-02-01",
            "endDate": "2026-07-31",
            "item": {
                "items": [
                    {"item": {"id": ids["item"]}, "quantity": 40},
                    {"item": {"id": ids["item"]}, "rate": 99.5},
                ]
            },
        },
    )

    collapsed = ns.get("salesOrder", order)
    expanded = ns.get("salesOrder", order, expandSubResources="true")
    one_line = ns.http.get(f"/record/v1/salesOrder/{order}/item/2").json()

    assert set(collapsed["item"]) == {"links"}
    assert collapsed["item"]["links"][0]["href"].endswith(f"/salesOrder/{order}/item")
    lines = expanded["item"]["items"]
    assert [line["line"] for line in lines] == [1, 2] and expanded["item"]["totalResults"] == 2
    assert lines[0]["amount"] == 6000 and lines[1]["amount"] == Decimal("99.50")
    assert one_line["rate"] == 99.5 and one_line["item"]["refName"] == "Consulting"
    assert expanded["tranId"] == f"SO{order}" and expanded["total"] == 6099.5


def test_patch_merges_lines_and_replace_swaps_them(ns: NetSuiteClient) -> None:
    ids = ns.seed_basics()
    item = {"id": ids["item"]}
    order = ns.create(
        "salesOrder", {"entity": {"id": ids["customer"]}, "item": {"items": [{"item": item}, {"item": item}]}}
    )

    merged = ns.http.patch(
        f"/record/v1/salesOrder/{order}", json={"item": {"items": [{"line": 2, "quantity": 3}]}}
    )
    assert merged.status_code == 204
    after_merge = ns.get("salesOrder", order, expandSubResources="true")["item"]["items"]
    assert [(line["line"], line["quantity"]) for line in after_merge] == [(1, 1), (2, 3)]

    swapped = ns.http.patch(
        f"/record/v1/salesOrder/{order}",
        params={"replace": "item"},
        json={"item": {"items": [{"item": item, "quantity": 8}]}},
    )
    assert swapped.status_code == 204
    record = ns.get("salesOrder", order, expandSubResources="true")
    assert [line["quantity"] for line in record["item"]["items"]] == [8] and record["total"] == 1200


def test_money_is_exact_in_and_out(ns: NetSuiteClient) -> None:
    ids = ns.seed_basics()
    invoice = ns.create(
        "invoice",
        {
            "entity": {"id": ids["customer"]},
            "tranDate": "2026-02-10",
            "item": {
                "items": [
                    {"item": {"id": ids["item"]}, "quantity": 3, "rate": 33.33},
                    {"item": {"id": ids["item"]}, "amount": 1234567.89},
                    {"item": {"id": ids["item"]}, "quantity": 0.1, "rate": 0.2},
                ]
            },
        },
    )
    raw = ns.http.get(f"/record/v1/invoice/{invoice}", params={"expandSubResources": "true"}).content
    record = loads_decimal(raw)
    amounts = [line["amount"] for line in record["item"]["items"]]
    assert amounts == [Decimal("99.99"), Decimal("1234567.89"), Decimal("0.02")]
    assert record["total"] == Decimal("1234667.90")
    assert b'"total":1234667.90' in raw


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/record/v1/customer", "{not json", 400, "INVALID_CONTENT"),
        ("/record/v1/customer", "[1, 2]", 400, "INVALID_CONTENT"),
        ("/record/v1/customer", '{"companyName": "No subsidiary"}', 400, "USER_ERROR"),
        ("/record/v1/customer", '{"companyName": "X", "subsidiary": {"id": "999"}}', 400, "INVALID_CONTENT"),
        ("/record/v1/customer", '{"companyName": 12, "subsidiary": {"id": "1"}}', 400, "INVALID_CONTENT"),
        ("/record/v1/widget", '{"name": "x"}', 404, "NONEXISTENT_ID"),
    ],
)
def test_bad_requests_get_netsuite_errors(
    ns: NetSuiteClient, path: str, body: str, status: int, code: str
) -> None:
    ns.create("subsidiary", {"name": "Only"})
    response = ns.http.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert error_detail(response)["o:errorCode"] == code


def test_missing_mandatory_field_names_it(ns: NetSuiteClient) -> None:
    response = ns.http.post("/record/v1/customer", json={"companyName": "No subsidiary"})
    detail = error_detail(response)
    assert detail["detail"] == "Error while accessing a resource. Please enter value(s) for: Subsidiary"
    assert detail["o:errorPath"] == "subsidiary"


def test_unknown_field_names_are_ignored_unless_validation_is_error(ns: NetSuiteClient) -> None:
    ids = ns.seed_basics()
    body = {"companyName": "Typo Inc", "subsidiary": {"id": ids["subsidiary"]}, "companyNmae": "oops"}
    assert ns.http.post("/record/v1/customer", json=body).status_code == 204
    strict = ns.http.post(
        "/record/v1/customer", json=body, headers={"X-NetSuite-PropertyNameValidation": "Error"}
    )
    assert strict.status_code == 400 and error_detail(strict)["o:errorPath"] == "companyNmae"


def test_reference_by_external_id_resolves(ns: NetSuiteClient) -> None:
    subsidiary = ns.create("subsidiary", {"name": "DE GmbH", "externalId": "LE-DE"})
    customer = ns.create("customer", {"companyName": "Siemens", "subsidiary": {"externalId": "LE-DE"}})
    assert ns.get("customer", customer)["subsidiary"]["id"] == subsidiary


def test_transaction_of_another_type_reports_type_mismatch(ns: NetSuiteClient) -> None:
    ids = ns.seed_basics()
    order = ns.create(
        "salesOrder", {"entity": {"id": ids["customer"]}, "item": {"items": [{"item": {"id": ids["item"]}}]}}
    )
    response = ns.http.get(f"/record/v1/invoice/{order}")
    assert response.status_code == 400
    assert error_detail(response)["detail"].endswith("Transaction type specified is incorrect.")


def test_fields_parameter_limits_the_body(ns: NetSuiteClient) -> None:
    ids = ns.seed_basics()
    record = ns.get("customer", ids["customer"], fields="companyName")
    assert set(record) == {"links", "id", "companyName"}


def test_list_q_on_last_modified_date_in_the_account_format(ns: NetSuiteClient) -> None:
    ns.set_clock("2023-05-31T11:40:00Z")
    ids = ns.seed_basics()
    ns.set_clock("2023-05-31T11:50:00Z")
    later = ns.create("customer", {"companyName": "Later", "subsidiary": {"id": ids["subsidiary"]}})
    page = ns.http.get(
        "/record/v1/customer", params={"q": 'lastModifiedDate ON_OR_AFTER "05/31/23 11:46 AM"'}
    ).json()
    assert [item["id"] for item in page["items"]] == [later]


def test_metadata_catalog_describes_types_and_fields(ns: NetSuiteClient) -> None:
    index = ns.http.get("/record/v1/metadata-catalog").json()
    schema = ns.http.get("/record/v1/metadata-catalog/timeBill")
    assert {"customer", "job", "timeBill", "journalEntry", "accountingPeriod"} <= {
        i["name"] for i in index["items"]
    }
    assert schema.headers["content-type"].startswith("application/schema+json")
    properties = schema.json()["properties"]
    assert properties["hours"]["type"] == "number" and properties["tranDate"]["format"] == "date"
    assert properties["lastModifiedDate"]["readOnly"] is True and "id" in properties["employee"]["properties"]


def test_records_can_be_seeded_without_http(emulator: Emulator, ns: NetSuiteClient) -> None:
    service = emulator.server.app.state.netsuite.service
    subsidiary = service.create("subsidiary", {"name": "Seeded"})
    customer = service.create("customer", {"companyName": "Seeded Co", "subsidiary": {"id": subsidiary}})
    assert ns.get("customer", customer)["subsidiary"]["refName"] == "Seeded"
    with pytest.raises(NetSuiteError) as refused:
        service.create("customer", {"companyName": "No subsidiary"})
    assert refused.value.status == 400
