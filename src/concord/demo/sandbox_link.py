"""Concord's configuration for a running sandbox: the three connectors from the sandbox's connection
details, and the firm's reference tables read from the platforms the way an implementer would set them up
(NetSuite subsidiaries by legal entity code, Kantata rate cards by currency, the NetSuite service item
contracts are sold as, the ledger accounts time is posted to and revenue recognised on).

The service item is the one thing the firm's generated NetSuite account lacks; it is upserted by an
external id, so linking the same sandbox twice finds the same item.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from concord.connectors.kantata import KantataClient, KantataSpec
from concord.connectors.netsuite import NetSuiteClient, NetSuiteSpec

__all__ = ["ACCOUNTS", "CURRENCIES", "connector_options", "reference_tables"]

CURRENCIES = {"USD": "1", "GBP": "2", "CAD": "3", "EUR": "4"}
"""The NetSuite account's currency internal ids (its defaults)."""
ACCOUNTS = {
    "labour_cost": "5100",
    "accrued_labour": "2150",
    "unbilled_receivable": "1250",
    "contract_asset": "1260",
    "deferred_revenue": "2400",
    "services_revenue": "4000",
    "subscription_revenue": "4100",
}
"""The ledger accounts approved time is posted to and revenue is recognised on, by role (the generated chart
of accounts' numbers; the roles are those of the time posting and revenue configurations)."""
CONTRACT_ITEM = "concord-professional-services"


def connector_options(emulators: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``[concord.connectors]`` section for the sandbox's emulators (``status --json`` shape)."""
    sf, kt, ns = emulators["salesforce"], emulators["kantata"], emulators["netsuite"]
    return {
        "salesforce": {
            "kind": "salesforce",
            "login_url": sf["base_url"],
            "auth": {
                "kind": "client_credentials",
                "consumer_key": sf["client_id"],
                "consumer_secret": sf["client_secret"],
            },
        },
        "kantata": {
            "kind": "kantata",
            "base_url": kt["base_url"],
            "auth": {
                "kind": "client_credentials",
                "client_id": kt["client_id"],
                "client_secret": kt["client_secret"],
            },
            "rate": {"max_concurrency": 6},
        },
        "netsuite": {
            "kind": "netsuite",
            "account_id": ns["account_id"],
            "base_url": ns["base_url"],
            "client_id": ns["client_id"],
            "certificate_id": ns["certificate_id"],
            "private_key_path": str(Path(ns["private_key_path"])),
            "algorithm": "ES256",
        },
        # Utilization figures go to Concord's own analytical store.
        "analytics": {"kind": "analytics"},
    }


def _spec(options: dict[str, Any], model: Any) -> Any:
    return model.model_validate({k: v for k, v in options.items() if k != "kind"})


async def reference_tables(connectors: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The reference tables the mappings need, read from (and, for the contract item, set up in) the
    platforms.

    Two tables cannot be read from the platforms: ``exchange_rates`` (the expense flow's rates between the
    firm's currencies, USD, GBP and EUR; reference data an implementer enters, undated here so one rate
    applies whatever the date) and ``netsuite_expense_category_id``: the NetSuite emulator models no
    ``expenseCategory`` record (an expense line's ``category`` takes any internal id), so the categories
    the business simulator files expenses under get fixed ids, and ``default`` catches any other.
    """
    ns_spec: NetSuiteSpec = _spec(connectors["netsuite"], NetSuiteSpec)
    kt_spec: KantataSpec = _spec(connectors["kantata"], KantataSpec)
    async with NetSuiteClient(ns_spec) as ns:
        rows = [row async for row in ns.query("SELECT id, externalid, currency FROM subsidiary")]
        subsidiaries = {str(row["externalid"]): str(row["id"]) for row in rows if row.get("externalid")}
        iso = {v: k for k, v in CURRENCIES.items()}
        currencies = {
            str(row["id"]): iso[str(row["currency"])] for row in rows if str(row.get("currency")) in iso
        }
        item = await ns.upsert_by_external_id(
            "serviceItem", CONTRACT_ITEM, {"itemId": "Professional services (Concord contracts)"}
        )
    async with KantataClient(kt_spec) as kt:
        cards: dict[str, str] = {}
        async for card in kt.iterate("rate_cards"):
            cards.setdefault(str(card["currency"]), str(card["id"]))
    return {
        "netsuite_currency": {v: k for k, v in CURRENCIES.items()},
        "netsuite_currency_id": dict(CURRENCIES),
        "netsuite_subsidiary_code": {sid: code for code, sid in subsidiaries.items()},
        "netsuite_subsidiary_id": subsidiaries,
        "netsuite_subsidiary_currency": currencies,
        "netsuite_item_id": {"contract": str(item)},
        "netsuite_account_id": dict(ACCOUNTS),
        "kantata_rate_card_id": cards,
        # One GBP is worth 1.2700 USD; the opposite direction is derived.
        "exchange_rates": {"EUR/USD": "1.0850", "GBP/USD": "1.2700", "EUR/GBP": "0.8543"},
        # The simulator's categories (concord.sandbox.simulator.expenses.CATEGORIES).
        "netsuite_expense_category_id": {
            "Travel": "1",
            "Lodging": "2",
            "Meals": "3",
            "Mileage": "4",
            "Software": "5",
            "Other": "6",
            "default": "6",
        },
    }
