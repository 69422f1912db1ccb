"""The sObjects the emulated org has: standard Account, Contact, Opportunity, OpportunityLineItem and
User, plus the custom Change_Order__c, with the custom fields Concord reads and writes.

Every object carries ``Concord_Id__c`` (unique External ID) and ``Concord_Correlation_Id__c``.
OpportunityLineItem has no Pricebook/Product plumbing: ``PricebookEntryId`` is not modelled, which a
real org would require.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from concord.sandbox.salesforce.schema.fields import FieldDef, FieldType, SObjectDef

_CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY")
OPPORTUNITY_STAGES: dict[str, int] = {
    "Prospecting": 10,
    "Qualification": 10,
    "Needs Analysis": 20,
    "Value Proposition": 50,
    "Id. Decision Makers": 60,
    "Perception Analysis": 70,
    "Proposal/Price Quote": 75,
    "Negotiation/Review": 90,
    "Closed Won": 100,
    "Closed Lost": 0,
}
"""Opportunity stages and the probability (percent) each one implies."""
CLOSED_STAGES = frozenset({"Closed Won", "Closed Lost"})
WON_STAGES = frozenset({"Closed Won"})


def _text(name: str, label: str, length: int = 255, **options: Any) -> FieldDef:
    return replace(FieldDef(name, FieldType.STRING, label, length=length), **options)


def _long_text(name: str, label: str, length: int = 32000) -> FieldDef:
    return FieldDef(name, FieldType.TEXTAREA, label, length=length)


def _picklist(name: str, label: str, values: Iterable[str], **options: Any) -> FieldDef:
    return replace(FieldDef(name, FieldType.PICKLIST, label, length=255, picklist=tuple(values)), **options)


def _number(name: str, label: str, kind: FieldType, precision: int = 18, scale: int = 2) -> FieldDef:
    return FieldDef(name, kind, label, precision=precision, scale=scale)


def _reference(name: str, label: str, to: str, relationship: str, **options: Any) -> FieldDef:
    base = FieldDef(
        name, FieldType.REFERENCE, label, length=18, reference_to=to, relationship_name=relationship
    )
    return replace(base, **options)


def _readonly(field_def: FieldDef) -> FieldDef:
    return replace(field_def, createable=False, updateable=False)


def _system_fields(label: str, owned: bool) -> list[FieldDef]:
    fields = [
        FieldDef(
            "Id", FieldType.ID, f"{label} ID", length=18, nillable=False, createable=False, updateable=False
        ),
        FieldDef(
            "IsDeleted", FieldType.BOOLEAN, "Deleted", nillable=False, createable=False, updateable=False
        ),
        _readonly(FieldDef("CreatedDate", FieldType.DATETIME, "Created Date", nillable=False)),
        _readonly(_reference("CreatedById", "Created By ID", "User", "CreatedBy", nillable=False)),
        _readonly(FieldDef("LastModifiedDate", FieldType.DATETIME, "Last Modified Date", nillable=False)),
        _readonly(
            _reference("LastModifiedById", "Last Modified By ID", "User", "LastModifiedBy", nillable=False)
        ),
        _readonly(FieldDef("SystemModstamp", FieldType.DATETIME, "System Modstamp", nillable=False)),
    ]
    if owned:
        fields.append(_reference("OwnerId", "Owner ID", "User", "Owner", nillable=False))
    return fields


def _concord_fields() -> list[FieldDef]:
    return [
        _text("Concord_Id__c", "Concord Id", 80, external_id=True, unique=True),
        _text("Concord_Correlation_Id__c", "Concord Correlation Id", 64),
    ]


def _currency_iso_code() -> FieldDef:
    return _picklist("CurrencyIsoCode", "Currency ISO Code", _CURRENCIES, restricted=True, default="USD")


def _account() -> SObjectDef:
    fields = [
        *_system_fields("Account", owned=True),
        _text("Name", "Account Name", nillable=False, required=True),
        _picklist("Type", "Account Type", ("Prospect", "Customer - Direct", "Customer - Channel", "Other")),
        _picklist(
            "Industry",
            "Industry",
            (
                "Banking",
                "Consulting",
                "Energy",
                "Healthcare",
                "Manufacturing",
                "Retail",
                "Technology",
                "Other",
            ),
        ),
        FieldDef("Phone", FieldType.PHONE, "Account Phone", length=40),
        FieldDef("Website", FieldType.URL, "Website", length=255),
        _long_text("BillingStreet", "Billing Street", 255),
        _text("BillingCity", "Billing City", 40),
        _text("BillingState", "Billing State/Province", 80),
        _text("BillingPostalCode", "Billing Zip/Postal Code", 20),
        _text("BillingCountry", "Billing Country", 80),
        _number("AnnualRevenue", "Annual Revenue", FieldType.CURRENCY),
        _number("NumberOfEmployees", "Employees", FieldType.INT, precision=8, scale=0),
        _long_text("Description", "Account Description"),
        _currency_iso_code(),
        _text("Tax_Id__c", "Tax Id", 40),
        _picklist("Tax_Profile__c", "Tax Profile", ("Standard", "Exempt", "Reverse Charge")),
        _picklist("Segment__c", "Segment", ("Enterprise", "Mid-Market", "SMB")),
        _text("ERP_Customer_Id__c", "ERP Customer Id", 40, external_id=True),
        *_concord_fields(),
    ]
    return SObjectDef("Account", "Account", "Accounts", "001", tuple(fields))


def _contact() -> SObjectDef:
    fields = [
        *_system_fields("Contact", owned=True),
        _reference(
            "AccountId",
            "Account ID",
            "Account",
            "Account",
            child_relationship="Contacts",
            cascade_delete=True,
        ),
        _text("FirstName", "First Name", 40),
        _text("LastName", "Last Name", 80, nillable=False, required=True),
        _readonly(_text("Name", "Full Name", 121)),
        FieldDef("Email", FieldType.EMAIL, "Email", length=80),
        FieldDef("Phone", FieldType.PHONE, "Business Phone", length=40),
        _text("Title", "Title", 128),
        _text("MailingCity", "Mailing City", 40),
        _text("MailingCountry", "Mailing Country", 80),
        _currency_iso_code(),
        *_concord_fields(),
    ]
    return SObjectDef("Contact", "Contact", "Contacts", "003", tuple(fields))


def _opportunity() -> SObjectDef:
    fields = [
        *_system_fields("Opportunity", owned=True),
        _reference(
            "AccountId",
            "Account ID",
            "Account",
            "Account",
            child_relationship="Opportunities",
            cascade_delete=True,
        ),
        _text("Name", "Name", 120, nillable=False, required=True),
        _picklist("StageName", "Stage", OPPORTUNITY_STAGES, nillable=False, required=True, restricted=True),
        FieldDef("CloseDate", FieldType.DATE, "Close Date", nillable=False, required=True),
        _number("Amount", "Amount", FieldType.CURRENCY),
        _number("Probability", "Probability (%)", FieldType.PERCENT, precision=3, scale=0),
        _readonly(_number("ExpectedRevenue", "Expected Amount", FieldType.CURRENCY)),
        _readonly(FieldDef("IsClosed", FieldType.BOOLEAN, "Closed", nillable=False)),
        _readonly(FieldDef("IsWon", FieldType.BOOLEAN, "Won", nillable=False)),
        _picklist("Type", "Opportunity Type", ("New Customer", "Existing Customer - Upgrade", "Renewal")),
        _picklist("LeadSource", "Lead Source", ("Web", "Partner Referral", "Phone Inquiry", "Other")),
        _text("NextStep", "Next Step"),
        _long_text("Description", "Description"),
        _currency_iso_code(),
        _picklist(
            "Service_Line__c", "Service Line", ("Advisory", "Implementation", "Managed Services", "Training")
        ),
        _picklist("Region__c", "Region", ("North America", "UK", "DACH", "EMEA", "APAC", "LATAM")),
        _picklist("Pricing_Model__c", "Pricing Model", ("Time and Materials", "Fixed Fee", "Subscription")),
        FieldDef("Expected_Start__c", FieldType.DATE, "Expected Start"),
        _text("Delivery_Template__c", "Delivery Template", 80),
        _text("PSA_Project_Id__c", "PSA Project Id", 40, external_id=True),
        _text("ERP_Contract_Id__c", "ERP Contract Id", 40, external_id=True),
        *_concord_fields(),
    ]
    return SObjectDef("Opportunity", "Opportunity", "Opportunities", "006", tuple(fields))


def _opportunity_line_item() -> SObjectDef:
    fields = [
        *_system_fields("Line Item", owned=False),
        _reference(
            "OpportunityId",
            "Opportunity ID",
            "Opportunity",
            "Opportunity",
            nillable=False,
            required=True,
            updateable=False,
            child_relationship="OpportunityLineItems",
            cascade_delete=True,
        ),
        replace(
            _number("Quantity", "Quantity", FieldType.DOUBLE, precision=12, scale=2),
            nillable=False,
            required=True,
        ),
        _number("UnitPrice", "Sales Price", FieldType.CURRENCY),
        _number("TotalPrice", "Total Price", FieldType.CURRENCY),
        FieldDef("ServiceDate", FieldType.DATE, "Date"),
        _text("Description", "Line Description"),
        _text("Role__c", "Role", 80),
        _number("Hours__c", "Hours", FieldType.DOUBLE, precision=10, scale=2),
        _number("Rate__c", "Rate", FieldType.CURRENCY, precision=16, scale=2),
        *_concord_fields(),
    ]
    return SObjectDef(
        "OpportunityLineItem", "Opportunity Product", "Opportunity Product", "00k", tuple(fields)
    )


def _change_order() -> SObjectDef:
    fields = [
        *_system_fields("Change Order", owned=True),
        _text("Name", "Change Order Name", 80, nillable=False, required=True),
        _reference(
            "Opportunity__c",
            "Opportunity",
            "Opportunity",
            "Opportunity__r",
            nillable=False,
            required=True,
            child_relationship="Change_Orders__r",
            cascade_delete=True,
        ),
        _number("Delta_Amount__c", "Delta Amount", FieldType.CURRENCY, precision=16, scale=2),
        _number("Delta_Hours__c", "Delta Hours", FieldType.DOUBLE, precision=10, scale=2),
        _picklist(
            "Status__c",
            "Status",
            ("Draft", "Submitted", "Approved", "Rejected"),
            restricted=True,
            default="Draft",
        ),
        _reference("Approved_By__c", "Approved By", "User", "Approved_By__r"),
        FieldDef("Approved_Date__c", FieldType.DATETIME, "Approved Date"),
        FieldDef("Effective_Date__c", FieldType.DATE, "Effective Date"),
        _long_text("New_Milestones__c", "New Milestones", 32768),
        _long_text("Description__c", "Description"),
        _currency_iso_code(),
        *_concord_fields(),
    ]
    return SObjectDef("Change_Order__c", "Change Order", "Change Orders", "a0X", tuple(fields))


def _user() -> SObjectDef:
    fields = [
        *_system_fields("User", owned=False),
        _text("Username", "Username", 80, nillable=False, required=True, unique=True),
        _text("FirstName", "First Name", 40),
        _text("LastName", "Last Name", 80, nillable=False, required=True),
        _readonly(_text("Name", "Full Name", 121)),
        FieldDef("Email", FieldType.EMAIL, "Email", length=128, nillable=False, required=True),
        _text("Alias", "Alias", 8),
        _text("Title", "Title", 80),
        FieldDef("IsActive", FieldType.BOOLEAN, "Active", nillable=False, default=True),
        *_concord_fields(),
    ]
    return SObjectDef("User", "User", "Users", "005", tuple(fields), deletable=False)


class Catalog:
    """The org's sObjects, looked up by name (case-insensitive) or by id key prefix."""

    def __init__(self, objects: Iterable[SObjectDef]) -> None:
        self._objects = {obj.name.lower(): obj for obj in objects}
        self._by_prefix = {obj.key_prefix: obj for obj in self._objects.values()}

    def get(self, name: str) -> SObjectDef | None:
        """Return the object called ``name``, or None."""
        return self._objects.get(name.lower())

    def for_id(self, record_id: str) -> SObjectDef | None:
        """Return the object a record id belongs to, from its key prefix, or None."""
        return self._by_prefix.get(record_id[:3])

    def all(self) -> tuple[SObjectDef, ...]:
        """All objects, in declaration order."""
        return tuple(self._objects.values())

    def children_of(self, parent: str) -> list[tuple[SObjectDef, FieldDef]]:
        """The (child object, reference field) pairs pointing at ``parent``."""
        return [
            (obj, field_def)
            for obj in self._objects.values()
            for field_def in obj.fields
            if field_def.reference_to == parent and field_def.name not in _AUDIT_REFERENCES
        ]


_AUDIT_REFERENCES = frozenset({"CreatedById", "LastModifiedById", "OwnerId"})


def default_catalog() -> Catalog:
    """The emulated org's schema."""
    return Catalog(
        [_account(), _contact(), _opportunity(), _opportunity_line_item(), _change_order(), _user()]
    )
