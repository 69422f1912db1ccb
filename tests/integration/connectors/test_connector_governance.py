"""Salesforce and NetSuite kept aligned by Concord over the emulators, with the shipped authority matrix:
the CRM owns a customer's name, the ERP its currency. An ERP-owned field edited in Salesforce is not
propagated and raises one governance exception; a CRM edit reaches NetSuite with exactly one write, and
NetSuite's echo of that write is recognised and goes no further."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ns_client_support import CLIENT_ID, RSA_CERT, NetSuite, private_pem, rsa_key
from platform_support import NETSUITE_REFERENCES, settle
from sf_client_support import CLIENT_ID as SF_CLIENT_ID
from sf_client_support import CLIENT_SECRET as SF_CLIENT_SECRET
from sf_client_support import Emulator, run

from concord.bootstrap import Concord, bootstrap_from_settings
from concord.connectors.salesforce import SalesforceClient
from concord.engine.model import Category
from concord.settings import RetrySettings, Settings

NS_CUSTOMER = "/services/rest/record/v1/customer*"
SF_ACCOUNT_WRITES = "*/composite/sobjects/Account/Concord_Id__c"


def settings(tmp_path: Path, sf: Emulator, ns: NetSuite, subsidiary: str) -> Settings:
    references = {
        **NETSUITE_REFERENCES,
        "netsuite_subsidiary_code": {subsidiary: "US01"},
        "netsuite_subsidiary_id": {"US01": subsidiary},
    }
    connectors: dict[str, dict[str, Any]] = {
        "salesforce": {
            "kind": "salesforce",
            "login_url": sf.base_url,
            "auth": {
                "kind": "client_credentials",
                "consumer_key": SF_CLIENT_ID,
                "consumer_secret": SF_CLIENT_SECRET,
            },
            "detect": ["Customer"],
        },
        "netsuite": {
            "kind": "netsuite",
            "account_id": "1234567",
            "base_url": ns.base_url,
            "client_id": CLIENT_ID,
            "certificate_id": RSA_CERT,
            "private_key": private_pem(rsa_key()),
            "detect": ["Customer"],
        },
    }
    return Settings(
        database_url=f"sqlite:///{tmp_path}/concord.db",
        connectors=connectors,
        flows=["align_customer"],
        reference_tables=references,
        retry=RetrySettings(initial_s=0.01, max_delay_s=0.1, max_attempts=5),
        log_level="WARNING",
    )


def ns_writes(netsuite: NetSuite) -> int:
    return sum(netsuite.count(path=NS_CUSTOMER, method=m) for m in ("POST", "PUT", "PATCH"))


def exceptions(concord: Concord) -> list[dict[str, Any]]:
    with concord.store.transaction() as tx:
        return tx.exceptions.list()


def test_erp_owned_edits_in_the_crm_stop_and_crm_edits_reach_the_erp_once(
    tmp_path: Path, emulator: Emulator, netsuite: NetSuite
) -> None:
    subsidiary = netsuite.seed("subsidiary", [{"name": "Concord US", "country": "US"}])[0]
    netsuite.seed(
        "customer",
        [{"companyName": "Acme Industrial", "subsidiary": {"id": subsidiary}, "currency": {"id": "1"}}],
    )
    concord = bootstrap_from_settings(settings(tmp_path, emulator, netsuite, subsidiary), log_to_stderr=False)

    async def scenario() -> None:
        # The ERP's customer reaches the CRM: one Account, carrying Concord's global id.
        await settle(concord)
        assert emulator.count(path=SF_ACCOUNT_WRITES) == 1 and ns_writes(netsuite) == 0
        async with SalesforceClient(emulator.spec()) as sf:
            account = [r async for r in sf.query("SELECT Id, Name, CurrencyIsoCode FROM Account")]
            assert [a["Name"] for a in account] == ["Acme Industrial"] and account[0][
                "CurrencyIsoCode"
            ] == "USD"
            account_id = account[0]["Id"]

            # Someone changes the currency in Salesforce; NetSuite owns it.
            await sf.update("Account", account_id, {"CurrencyIsoCode": "EUR"})
            await settle(concord)
            assert ns_writes(netsuite) == 0
            refused = [e for e in exceptions(concord) if e["category"] == Category.AUTHORITY]
            assert len(refused) == 1
            assert "currency" in refused[0]["message"] and "NetSuite owns" in refused[0]["message"]

            # The CRM renames the account: one write to NetSuite, and its echo goes no further.
            await sf.update("Account", account_id, {"Name": "Acme Industrial Group"})
            await settle(concord)
            await settle(concord)

        assert ns_writes(netsuite) == 1
        assert emulator.count(path=SF_ACCOUNT_WRITES) == 1
        stored = netsuite.records("customer")
        assert [c["companyName"] for c in stored] == ["Acme Industrial Group"]
        assert stored[0]["currency"] in ("1", {"id": "1"})  # the ERP's currency stands
        assert len([e for e in exceptions(concord) if e["category"] == Category.AUTHORITY]) == 1
        for connector in concord.connectors.values():
            await connector.aclose()  # type: ignore[attr-defined]

    try:
        run(scenario(), timeout_s=60)
    finally:
        concord.close()
