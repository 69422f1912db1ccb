"""The configured systems as the flows name them in their messages: "NetSuite", not "netsuite".

Every flow's configuration names the connectors that play each part (PSA, ERP, CRM); its findings speak
of them by the platform's name. A connector of a platform this table does not know is named as it is
configured.
"""

from __future__ import annotations

from dataclasses import replace

from concord.domain.findings import Systems

__all__ = ["named_systems", "system_name"]

_NAMES = {"kantata": "Kantata", "netsuite": "NetSuite", "salesforce": "Salesforce"}


def system_name(system: str) -> str:
    """How a configured connector is named in messages."""
    return _NAMES.get(system, system)


def named_systems(*, psa: str, erp: str, crm: str | None = None) -> Systems:
    """The parts the configured connectors play, with their names (the CRM only where a flow has one)."""
    named = Systems(psa=psa, psa_name=system_name(psa), erp=erp, erp_name=system_name(erp))
    return named if crm is None else replace(named, crm=crm, crm_name=system_name(crm))
