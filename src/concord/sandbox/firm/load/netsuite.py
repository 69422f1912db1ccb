"""Loading the ERP side into the NetSuite emulator through the REST Record API (one record per call,
many calls in flight): subsidiaries, accounting periods, employees and the customers keyed by hand.

NetSuite's REST API has no batch create; records that reference others (a subsidiary's parent, a
period's parent, an employee's supervisor) are created in waves, parents first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from concord.sandbox.firm.gen_people import level_of
from concord.sandbox.firm.load.http import Api, LoadError, each
from concord.sandbox.firm.load.result import IdMap
from concord.sandbox.firm.model import AccountingPeriod, Employee, ErpCustomer, Firm

SYSTEM = "netsuite"
RECORDS = "/services/rest/record/v1"
CURRENCY_IDS = {"USD": "1", "GBP": "2", "CAD": "3", "EUR": "4"}
"""Internal ids of the currencies of a NetSuite account (USD, GBP, CAD, EUR are 1 to 4 by default)."""
PARENT_KEY = "GROUP"
PARENT_NAME = "Concord Consulting Group"


def _ref(record_id: str) -> dict[str, str]:
    return {"id": record_id}


async def create(api: Api, record_type: str, body: dict[str, Any], what: str) -> str:
    """Create one record; its internal id, from the ``Location`` of the 204 answer.

    Raises:
        LoadError: NetSuite refused it.
    """
    response = await api.call("POST", f"{RECORDS}/{record_type}", body)
    location = str(response.headers.get("location", ""))
    if response.status_code != 204 or not location:
        raise LoadError(f"netsuite refused {what}: {response.status_code} {response.text[:500]}")
    return location.rstrip("/").rsplit("/", 1)[-1]


async def _subsidiaries(api: Api, firm: Firm, ids: IdMap) -> None:
    parent = await create(
        api,
        "subsidiary",
        {
            "externalId": PARENT_KEY,
            "name": PARENT_NAME,
            "country": "US",
            "currency": _ref(CURRENCY_IDS["USD"]),
        },
        "the parent subsidiary",
    )
    ids.put(SYSTEM, "subsidiary", PARENT_KEY, parent)

    async def one(index: int) -> None:
        entity = firm.legal_entities[index]
        body = {
            "externalId": entity.code,
            "name": entity.name,
            "legalName": entity.name,
            "country": entity.country,
            "currency": _ref(CURRENCY_IDS[entity.currency]),
            "parent": _ref(parent),
        }
        ids.put(
            SYSTEM,
            "subsidiary",
            entity.code,
            await create(api, "subsidiary", body, f"subsidiary {entity.code}"),
        )

    await each(range(len(firm.legal_entities)), one)


def period_body(period: AccountingPeriod, parent_id: str | None) -> dict[str, Any]:
    """An accounting period record (closed periods refuse postings)."""
    body: dict[str, Any] = {
        "externalId": period.key,
        "periodName": period.name,
        "startDate": period.start.isoformat(),
        "endDate": period.end.isoformat(),
        "isYear": period.kind == "year",
        "isQuarter": period.kind == "quarter",
        "isAdjust": False,
        "closed": period.closed,
    }
    if parent_id is not None:
        body["parent"] = _ref(parent_id)
    return body


async def _periods(api: Api, firm: Firm, ids: IdMap) -> None:
    for kind in ("year", "quarter", "month"):
        wave = [p for p in firm.periods if p.kind == kind]

        async def one(period: AccountingPeriod) -> None:
            parent = ids.get(SYSTEM, "accountingPeriod", period.parent_key) if period.parent_key else None
            made = await create(api, "accountingPeriod", period_body(period, parent), f"period {period.name}")
            ids.put(SYSTEM, "accountingPeriod", period.key, made)

        await each(wave, one)


def employee_body(
    employee: Employee, subsidiary_id: str, supervisor_id: str | None, role_name: str
) -> dict[str, Any]:
    """An employee record; ``externalId`` is the HR employee number."""
    body: dict[str, Any] = {
        "externalId": employee.number,
        "firstName": employee.first_name,
        "lastName": employee.last_name,
        "email": employee.email,
        "title": role_name,
        "subsidiary": _ref(subsidiary_id),
        "laborCost": employee.cost_rate,
        "custentity_cost_center": employee.cost_center,
    }
    if supervisor_id is not None:
        body["supervisor"] = _ref(supervisor_id)
    return body


async def _employees(api: Api, firm: Firm, ids: IdMap) -> None:
    roles = {role.key: role.name for role in firm.roles}
    levels = sorted({level_of(e) for e in firm.employees}, reverse=True)
    for level in levels:  # managers before the people who report to them
        wave: Sequence[Employee] = [e for e in firm.employees if level_of(e) == level]

        async def one(employee: Employee) -> None:
            supervisor = ids.get(SYSTEM, "employee", employee.manager) if employee.manager else None
            subsidiary = ids.get(SYSTEM, "subsidiary", employee.entity_code)
            body = employee_body(employee, subsidiary, supervisor, roles[employee.role_key])
            ids.put(
                SYSTEM,
                "employee",
                employee.number,
                await create(api, "employee", body, f"employee {employee.number}"),
            )

        await each(wave, one)


def customer_body(customer: ErpCustomer, subsidiary_id: str) -> dict[str, Any]:
    """A customer as a clerk keyed it: no external id (nothing links it to the CRM yet)."""
    return {
        "companyName": customer.name,
        "isPerson": False,
        "email": customer.email,
        "subsidiary": _ref(subsidiary_id),
        "currency": _ref(CURRENCY_IDS[customer.currency]),
    }


async def _customers(api: Api, firm: Firm, ids: IdMap) -> None:
    async def one(customer: ErpCustomer) -> None:
        body = customer_body(customer, ids.get(SYSTEM, "subsidiary", customer.entity_code))
        made = await create(api, "customer", body, f"customer {customer.name!r}")
        ids.put(SYSTEM, "customer", customer.account_key, made)

    await each(firm.erp_customers, one)


async def load_netsuite(api: Api, firm: Firm, ids: IdMap) -> None:
    """Subsidiaries first, then periods, employees and customers side by side."""
    await _subsidiaries(api, firm, ids)
    await asyncio.gather(_periods(api, firm, ids), _employees(api, firm, ids), _customers(api, firm, ids))
