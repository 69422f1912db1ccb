"""Loading the CRM side into the Salesforce emulator through sObject Collections (200 records a call,
all or none): accounts, then contacts and opportunities, then opportunity line items."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from concord.sandbox.firm.gen_deals import CRM_PRICING
from concord.sandbox.firm.load.http import Api, LoadError, chunks, each
from concord.sandbox.firm.load.result import IdMap
from concord.sandbox.firm.model import Account, Contact, Firm, LineItem, Opportunity
from concord.sandbox.launch.access import SALESFORCE_API_VERSION

SYSTEM = "salesforce"
COLLECTIONS_PATH = f"/services/data/{SALESFORCE_API_VERSION}/composite/sobjects"
BATCH = 200


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    # Unset fields are left out, as a client sends them; an empty string would be stored as a value.
    return {name: value for name, value in fields.items() if value not in (None, "")}


def account_body(account: Account) -> dict[str, Any]:
    """The Account record of a generated account."""
    return _present(
        {
            "Name": account.name,
            "Type": "Customer - Direct" if account.customer else "Prospect",
            "Industry": account.industry,
            "Phone": account.phone,
            "Website": account.website,
            "BillingStreet": account.billing.street,
            "BillingCity": account.billing.city,
            "BillingState": account.billing.state,
            "BillingPostalCode": account.billing.postal_code,
            "BillingCountry": account.billing.country,
            "CurrencyIsoCode": account.currency,
            "Tax_Id__c": account.tax_id,
            "Tax_Profile__c": account.tax_profile,
            "Segment__c": account.segment,
        }
    )


def contact_body(contact: Contact, account_id: str) -> dict[str, Any]:
    """The Contact record of a generated contact."""
    return {
        "AccountId": account_id,
        "FirstName": contact.first_name,
        "LastName": contact.last_name,
        "Email": contact.email,
        "Title": contact.title,
    }


def opportunity_body(deal: Opportunity, account_id: str) -> dict[str, Any]:
    """The Opportunity record of a generated deal (before its products are added)."""
    return {
        "AccountId": account_id,
        "Name": deal.name,
        "StageName": deal.stage,
        "CloseDate": deal.close_date.isoformat(),
        "Amount": deal.amount,
        "CurrencyIsoCode": deal.currency,
        "Service_Line__c": deal.service_line,
        "Region__c": deal.region,
        "Pricing_Model__c": CRM_PRICING[deal.pricing_model],
        "Expected_Start__c": deal.expected_start.isoformat(),
        "Delivery_Template__c": deal.delivery_template,
        "LeadSource": deal.lead_source,
        "Type": "New Customer",
    }


def line_body(line: LineItem, opportunity_id: str, role_names: dict[str, str]) -> dict[str, Any]:
    """The OpportunityLineItem of one line (role, hours and rate in Concord's custom fields)."""
    body: dict[str, Any] = {
        "OpportunityId": opportunity_id,
        "Description": line.description,
        "Quantity": line.quantity,
        "UnitPrice": line.unit_price,
    }
    if line.role_key is not None:
        body.update(Role__c=role_names[line.role_key], Hours__c=line.quantity, Rate__c=line.unit_price)
    return body


async def create_records(
    api: Api, sobject: str, records: Sequence[tuple[str, dict[str, Any]]]
) -> dict[str, str]:
    """Create records of one type in collections of 200; returns generator key → Salesforce id.

    Raises:
        LoadError: A record was refused (the whole collection is rolled back).
    """

    async def one_batch(batch: Sequence[tuple[str, dict[str, Any]]]) -> list[tuple[str, str]]:
        body = {
            "allOrNone": True,
            "records": [{"attributes": {"type": sobject}, **fields} for _, fields in batch],
        }
        results = await api.json("POST", COLLECTIONS_PATH, body, what=f"a collection of {sobject}")
        failed = [
            (key, r.get("errors")) for (key, _), r in zip(batch, results, strict=True) if not r.get("success")
        ]
        if failed:
            raise LoadError(f"salesforce refused {sobject} {failed[0][0]}: {failed[0][1]}")
        return [(key, str(r["id"])) for (key, _), r in zip(batch, results, strict=True)]

    pairs = await each(chunks(records, BATCH), one_batch)
    return {key: record_id for batch in pairs for key, record_id in batch}


async def load_salesforce(api: Api, firm: Firm, ids: IdMap) -> None:
    """Accounts, contacts, opportunities and their line items."""
    accounts = await create_records(api, "Account", [(a.key, account_body(a)) for a in firm.accounts])
    contacts = [(c.key, contact_body(c, accounts[c.account_key])) for c in firm.contacts]
    deals = [(o.key, opportunity_body(o, accounts[o.account_key])) for o in firm.opportunities]
    contact_ids, deal_ids = await asyncio.gather(
        create_records(api, "Contact", contacts), create_records(api, "Opportunity", deals)
    )
    role_names = {role.key: role.name for role in firm.roles}
    lines = [
        (f"{deal.key}/{index + 1}", line_body(line, deal_ids[deal.key], role_names))
        for deal in firm.opportunities
        for index, line in enumerate(deal.line_items)
    ]
    line_ids = await create_records(api, "OpportunityLineItem", lines)
    for kind, made in (
        ("Account", accounts),
        ("Contact", contact_ids),
        ("Opportunity", deal_ids),
        ("OpportunityLineItem", line_ids),
    ):
        for key, record_id in made.items():
            ids.put(SYSTEM, kind, key, record_id)
