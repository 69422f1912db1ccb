"""Accounting periods and posting rules: closed and locked periods, balanced journals, time and expenses."""

from __future__ import annotations

from typing import Any

import pytest
from ns_support import NetSuiteClient, error_detail


def _postings(ids: dict[str, str], tran_date: str) -> dict[str, dict[str, Any]]:
    item = {"id": ids["item"]}
    return {
        "timeBill": {
            "employee": {"id": ids["employee"]},
            "customer": {"id": ids["job"]},
            "hours": 7.5,
            "tranDate": tran_date,
            "isBillable": True,
            "rate": 150,
        },
        "expenseReport": {
            "entity": {"id": ids["employee"]},
            "tranDate": tran_date,
            "expense": {"items": [{"expenseDate": tran_date, "category": {"id": "3"}, "amount": 42.5}]},
        },
        "invoice": {
            "entity": {"id": ids["customer"]},
            "tranDate": tran_date,
            "item": {"items": [{"item": item}]},
        },
        "journalEntry": {
            "subsidiary": {"id": ids["subsidiary"]},
            "tranDate": tran_date,
            "line": {
                "items": [{"account": {"id": "1"}, "debit": 10}, {"account": {"id": "2"}, "credit": 10}]
            },
        },
    }


@pytest.fixture
def books(ns: NetSuiteClient) -> dict[str, str]:
    ids = ns.seed_basics()
    ids["jan"] = ns.add_period("Jan 2026", "2026-01-01", "2026-01-31", closed=True)
    ids["feb"] = ns.add_period("Feb 2026", "2026-02-01", "2026-02-28")
    ids["mar"] = ns.add_period("Mar 2026", "2026-03-01", "2026-03-31", arLocked=True)
    ns.add_period("Q1 2026", "2026-01-01", "2026-03-31", isQuarter=True)
    return ids


@pytest.mark.parametrize("record_type", ["timeBill", "expenseReport", "invoice", "journalEntry"])
def test_postings_dated_in_a_closed_period_are_refused(
    ns: NetSuiteClient, books: dict[str, str], record_type: str
) -> None:
    response = ns.http.post(f"/record/v1/{record_type}", json=_postings(books, "2026-01-20")[record_type])
    assert response.status_code == 400
    detail = error_detail(response)
    assert detail["o:errorCode"] == "USER_ERROR"
    assert detail["detail"].startswith(
        "Error while accessing a resource. The accounting period Jan 2026 is closed."
    )
    assert detail["o:errorPath"] == "tranDate"


@pytest.mark.parametrize("record_type", ["timeBill", "expenseReport", "invoice", "journalEntry"])
def test_postings_in_an_open_period_get_their_posting_period(
    ns: NetSuiteClient, books: dict[str, str], record_type: str
) -> None:
    record_id = ns.create(record_type, _postings(books, "2026-02-14")[record_type])
    record = ns.get(record_type, record_id)
    assert record["postingPeriod"]["id"] == books["feb"] and record["postingPeriod"]["refName"] == "Feb 2026"


def test_an_explicit_closed_posting_period_is_refused(ns: NetSuiteClient, books: dict[str, str]) -> None:
    body = {**_postings(books, "2026-02-14")["invoice"], "postingPeriod": {"id": books["jan"]}}
    response = ns.http.post("/record/v1/invoice", json=body)
    assert response.status_code == 400 and error_detail(response)["o:errorPath"] == "postingPeriod"


def test_ar_lock_refuses_invoices_but_not_time(ns: NetSuiteClient, books: dict[str, str]) -> None:
    postings = _postings(books, "2026-03-10")
    refused = ns.http.post("/record/v1/invoice", json=postings["invoice"])
    assert refused.status_code == 400 and "Accounts Receivable" in error_detail(refused)["detail"]
    assert ns.http.post("/record/v1/timeBill", json=postings["timeBill"]).status_code == 204


def test_date_outside_every_period_is_refused(ns: NetSuiteClient, books: dict[str, str]) -> None:
    response = ns.http.post("/record/v1/journalEntry", json=_postings(books, "2027-05-01")["journalEntry"])
    assert response.status_code == 400
    assert "not within the date range" in error_detail(response)["detail"]


def test_transactions_of_a_period_closed_later_cannot_be_changed_or_deleted(
    ns: NetSuiteClient, books: dict[str, str]
) -> None:
    time_bill = ns.create("timeBill", _postings(books, "2026-02-14")["timeBill"])
    assert (
        ns.http.patch(f"/record/v1/accountingPeriod/{books['feb']}", json={"closed": True}).status_code == 204
    )

    edit = ns.http.patch(f"/record/v1/timeBill/{time_bill}", json={"hours": 8})
    delete = ns.http.delete(f"/record/v1/timeBill/{time_bill}")

    assert edit.status_code == delete.status_code == 400
    assert "You may not make changes to this transaction" in error_detail(edit)["detail"]
    assert ns.get("accountingPeriod", books["feb"])["allLocked"] is True


def test_unbalanced_journal_is_refused_by_one_cent(ns: NetSuiteClient, books: dict[str, str]) -> None:
    body = _postings(books, "2026-02-03")["journalEntry"]
    body["line"] = {
        "items": [{"account": {"id": "1"}, "debit": 100.10}, {"account": {"id": "2"}, "credit": 100.09}]
    }
    response = ns.http.post("/record/v1/journalEntry", json=body)
    assert response.status_code == 400
    detail = error_detail(response)
    assert detail["o:errorCode"] == "USER_ERROR" and "not in balance" in detail["detail"]


def test_journal_line_needs_exactly_one_side(ns: NetSuiteClient, books: dict[str, str]) -> None:
    body = _postings(books, "2026-02-03")["journalEntry"]
    body["line"] = {"items": [{"account": {"id": "1"}, "debit": 5, "credit": 5}]}
    assert ns.http.post("/record/v1/journalEntry", json=body).status_code == 400


def test_expense_report_converts_foreign_amounts_with_the_exchange_rate(
    ns: NetSuiteClient, books: dict[str, str]
) -> None:
    report = ns.create(
        "expenseReport",
        {
            "entity": {"id": books["employee"]},
            "tranDate": "2026-02-20",
            "expenseReportCurrency": {"id": "1"},
            "expenseReportExchangeRate": 1,
            "expense": {
                "items": [
                    {
                        "expenseDate": "2026-02-18",
                        "category": {"id": "3"},
                        "foreignAmount": 100,
                        "currency": {"id": "4"},
                        "exchangeRate": 1.0845,
                    },
                    {
                        "expenseDate": "2026-02-19",
                        "category": {"id": "5"},
                        "amount": 12.34,
                        "customer": {"id": books["job"]},
                        "isBillable": True,
                    },
                ]
            },
        },
    )
    record = ns.get("expenseReport", report, expandSubResources="true")
    lines = record["expense"]["items"]
    assert lines[0]["amount"] == 108.45 and lines[0]["foreignAmount"] == 100
    assert lines[1]["customer"]["refName"] == "Acme ERP rollout"
    assert record["total"] == 120.79 and record["subsidiary"]["id"] == books["subsidiary"]


def test_time_bill_keeps_hours_rate_and_billable_flag(ns: NetSuiteClient, books: dict[str, str]) -> None:
    body = {
        **_postings(books, "2026-02-11")["timeBill"],
        "hours": "7:45",
        "memo": "Workshop",
        "custcol_concord_correlation_id": "c-1",
    }
    record = ns.get("timeBill", ns.create("timeBill", body))
    assert record["hours"] == 7.75 and record["rate"] == 150 and record["isBillable"] is True
    assert record["employee"]["refName"] == "Ada Lovelace" and record["customer"]["id"] == books["job"]
    assert record["tranDate"] == "2026-02-11" and record["memo"] == "Workshop"
    assert record["custcol_concord_correlation_id"] == "c-1"


def test_time_on_a_closed_project_is_refused(ns: NetSuiteClient, books: dict[str, str]) -> None:
    assert (
        ns.http.patch(f"/record/v1/job/{books['job']}", json={"entityStatus": {"id": "1"}}).status_code == 204
    )
    response = ns.http.post("/record/v1/timeBill", json=_postings(books, "2026-02-11")["timeBill"])
    assert response.status_code == 400 and error_detail(response)["o:errorPath"] == "customer"


def test_project_dates_must_be_ordered(ns: NetSuiteClient, books: dict[str, str]) -> None:
    response = ns.http.patch(f"/record/v1/job/{books['job']}", json={"projectedEndDate": "2025-12-31"})
    assert response.status_code == 400 and error_detail(response)["o:errorPath"] == "projectedEndDate"
