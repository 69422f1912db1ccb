"""The record types the emulator serves, described as data.

Names follow the REST Record API (camelCase body fields, sublists ``item``/``line``/``expense``).
The contract structure is a ``salesOrder`` with ``item`` lines and a ``billingSchedule`` reference:
both are standard records every NetSuite account exposes over REST, whereas a custom contract record
(``customrecord_*``) differs per account and would tie Concord's connector to one firm's setup.
Select-list ids and labels (``entityStatus``, ``approvalStatus``...) are [U] reconstructions.
"""

from __future__ import annotations

from concord.sandbox.netsuite.fields import Field, Kind, RecordType, Sublist

T, B, INT, D, DT = Kind.TEXT, Kind.BOOL, Kind.INT, Kind.DATE, Kind.DATETIME
M, DEC, DUR, R, S = Kind.MONEY, Kind.DECIMAL, Kind.DURATION, Kind.REF, Kind.SELECT

CUSTOMERS = ("customer", "job")
ENTITIES = ("customer", "job", "employee")

JOB_STATUSES = (
    ("1", "Closed"),
    ("2", "In Progress"),
    ("3", "Not Awarded"),
    ("4", "Pending"),
    ("5", "Awarded"),
)
APPROVAL_STATUSES = (("1", "Pending Approval"), ("2", "Approved"), ("3", "Rejected"))
ORDER_STATUSES = (("A", "Pending Approval"), ("B", "Pending Fulfillment"), ("H", "Closed"))
SCHEDULE_TYPES = tuple(
    (v, v.replace("_", " ").title())
    for v in ("STANDARD", "FIXED_BID_INTERVAL", "FIXED_BID_MILESTONE", "TIME_AND_MATERIALS", "CHARGE_BASED")
)
FREQUENCIES = tuple(
    (v, v.title()) for v in ("DAILY", "WEEKLY", "BIWEEKLY", "MONTHLY", "QUARTERLY", "ANNUALLY", "CUSTOM")
)


def _system(created: str) -> tuple[Field, ...]:
    return (
        Field("id", T, read_only=True),
        Field("externalId", T),
        Field("lastModifiedDate", DT, read_only=True),
        Field(created, DT, read_only=True),
    )


def _entity(*fields: Field) -> tuple[Field, ...]:
    return (*_system("dateCreated"), Field("entityId", T), Field("isInactive", B), *fields)


def _transaction(*fields: Field, posting: bool) -> tuple[Field, ...]:
    period = (Field("postingPeriod", R, ("accountingPeriod",)),) if posting else ()
    return (
        *_system("createdDate"),
        Field("tranId", T),
        Field("tranDate", D),
        Field("memo", T),
        Field("currency", R),
        Field("exchangeRate", DEC),
        Field("subsidiary", R, ("subsidiary",), required=True, label="Subsidiary"),
        *period,
        *fields,
    )


SUBSIDIARY = RecordType(
    "subsidiary",
    (
        *_system("dateCreated"),
        Field("name", T, required=True, label="Name"),
        Field("legalName", T),
        Field("country", T),
        Field("currency", R),
        Field("parent", R, ("subsidiary",)),
        Field("isInactive", B),
    ),
    suiteql_table="subsidiary",
)

CUSTOMER = RecordType(
    "customer",
    _entity(
        Field("companyName", T, label="Company Name"),
        Field("isPerson", B),
        Field("firstName", T),
        Field("lastName", T),
        Field("email", T),
        Field("phone", T),
        Field("subsidiary", R, ("subsidiary",), required=True, label="Subsidiary"),
        Field("currency", R),
        Field("terms", R),
        Field("parent", R, ("customer",)),
        Field("comments", T),
    ),
    id_sequence="entity",
    suiteql_table="customer",
    ref_name_fields=("entityId", "companyName"),
)

JOB = RecordType(
    "job",
    _entity(
        Field("companyName", T, required=True, label="Project Name"),
        Field("parent", R, ("customer",), required=True, label="Customer"),
        Field("subsidiary", R, ("subsidiary",)),
        Field("entityStatus", S, choices=JOB_STATUSES),
        Field("startDate", D),
        Field("projectedEndDate", D),
        Field("endDate", D),
        Field("currency", R),
        Field("jobType", R),
        Field("comments", T),
        # Created by Concord's SuiteCloud customization (the contract a project delivers), so SuiteQL knows
        # the column on every project, empty where it is not set, as in an account with it installed.
        Field("custentity_concord_contract", T),
    ),
    id_sequence="entity",
    suiteql_table="job",
    ref_name_fields=("entityId", "companyName"),
)

EMPLOYEE = RecordType(
    "employee",
    _entity(
        Field("firstName", T, required=True, label="First Name"),
        Field("lastName", T, required=True, label="Last Name"),
        Field("email", T),
        Field("title", T),
        Field("subsidiary", R, ("subsidiary",), required=True, label="Subsidiary"),
        Field("department", R),
        Field("laborCost", M),
        Field("supervisor", R, ("employee",)),
    ),
    id_sequence="entity",
    suiteql_table="employee",
    ref_name_fields=("entityId",),
)

ACCOUNTING_PERIOD = RecordType(
    "accountingPeriod",
    (
        *_system("dateCreated"),
        Field("periodName", T, required=True, label="Period Name"),
        Field("startDate", D, required=True, label="Start Date"),
        Field("endDate", D, required=True, label="End Date"),
        Field("parent", R, ("accountingPeriod",)),
        Field("isYear", B),
        Field("isQuarter", B),
        Field("isAdjust", B),
        Field("isInactive", B),
        Field("closed", B),
        Field("allLocked", B),
        Field("arLocked", B),
        Field("apLocked", B),
        Field("allowNonGLChanges", B),
        Field("closedOnDate", D, read_only=True),
    ),
    suiteql_table="accountingperiod",
    ref_name_fields=("periodName",),
)

SERVICE_ITEM = RecordType(
    "serviceItem",
    (
        *_system("createdDate"),
        Field("itemId", T, required=True, label="Item Name/Number"),
        Field("displayName", T),
        Field("description", T),
        Field("rate", M),
        Field("subsidiary", R, ("subsidiary",)),
        Field("incomeAccount", R),
        Field("isInactive", B),
    ),
    id_sequence="item",
    suiteql_table="item",
    ref_name_fields=("itemId",),
)

BILLING_SCHEDULE = RecordType(
    "billingSchedule",
    (
        *_system("dateCreated"),
        Field("name", T, required=True, label="Name"),
        Field("scheduleType", S, choices=SCHEDULE_TYPES),
        Field("frequency", S, choices=FREQUENCIES),
        Field("initialAmount", T),
        Field("numberRemaining", INT),
        Field("project", R, ("job",)),
        Field("isInactive", B),
    ),
    sublists=(
        Sublist(
            "recurrence",
            (Field("recurrenceDate", D), Field("amount", M), Field("count", INT), Field("milestone", T)),
        ),
    ),
    suiteql_table="billingschedule",
)

_ORDER_LINE = (
    Field("item", R, ("serviceItem",), required=True, label="Item"),
    Field("description", T),
    Field("quantity", DEC),
    Field("rate", M),
    Field("amount", M),
    Field("job", R, ("job",)),
    Field("billingSchedule", R, ("billingSchedule",)),
)

SALES_ORDER = RecordType(
    "salesOrder",
    _transaction(
        Field("entity", R, CUSTOMERS, required=True, label="Customer"),
        Field("job", R, ("job",)),
        Field("startDate", D),
        Field("endDate", D),
        Field("billingSchedule", R, ("billingSchedule",)),
        Field("orderStatus", S, choices=ORDER_STATUSES),
        Field("subtotal", M, read_only=True),
        Field("total", M, read_only=True),
        posting=False,
    ),
    sublists=(Sublist("item", _ORDER_LINE, required=True),),
    id_sequence="transaction",
    suiteql_table="transaction",
    tran_type="SalesOrd",
    tran_prefix="SO",
    ref_name_fields=("tranId",),
    created_field="createdDate",
)

INVOICE = RecordType(
    "invoice",
    _transaction(
        Field("entity", R, CUSTOMERS, required=True, label="Customer"),
        Field("job", R, ("job",)),
        Field("createdFrom", R, ("salesOrder",)),
        Field("dueDate", D),
        Field("terms", R),
        Field("subtotal", M, read_only=True),
        Field("total", M, read_only=True),
        posting=True,
    ),
    sublists=(Sublist("item", _ORDER_LINE[:6], required=True),),
    id_sequence="transaction",
    posting=True,
    suiteql_table="transaction",
    tran_type="CustInvc",
    tran_prefix="INV",
    ref_name_fields=("tranId",),
    created_field="createdDate",
)

JOURNAL_ENTRY = RecordType(
    "journalEntry",
    _transaction(Field("approved", B), Field("reversalDate", D), posting=True),
    sublists=(
        Sublist(
            "line",
            (
                Field("account", R, required=True, label="Account"),
                Field("debit", M),
                Field("credit", M),
                Field("memo", T),
                Field("entity", R, ENTITIES),
                Field("department", R),
                Field("class", R),
                Field("location", R),
            ),
            required=True,
        ),
    ),
    id_sequence="transaction",
    posting=True,
    suiteql_table="transaction",
    tran_type="Journal",
    tran_prefix="JE",
    ref_name_fields=("tranId",),
    created_field="createdDate",
)

EXPENSE_REPORT = RecordType(
    "expenseReport",
    _transaction(
        Field("entity", R, ("employee",), required=True, label="Employee"),
        Field("expenseReportCurrency", R),
        Field("expenseReportExchangeRate", DEC),
        Field("accountingApproval", B),
        Field("supervisorApproval", B),
        Field("total", M, read_only=True),
        posting=True,
    ),
    sublists=(
        Sublist(
            "expense",
            (
                Field("expenseDate", D, required=True, label="Date"),
                Field("category", R, required=True, label="Category"),
                Field("foreignAmount", M),
                Field("currency", R),
                Field("exchangeRate", DEC),
                Field("amount", M),
                Field("memo", T),
                Field("customer", R, CUSTOMERS),
                Field("isBillable", B),
                Field("department", R),
            ),
            required=True,
        ),
    ),
    id_sequence="transaction",
    posting=True,
    suiteql_table="transaction",
    tran_type="ExpRept",
    tran_prefix="ER",
    ref_name_fields=("tranId",),
    created_field="createdDate",
)

TIME_BILL = RecordType(
    "timeBill",
    (
        *_system("createdDate"),
        Field("employee", R, ("employee",), required=True, label="Employee"),
        Field("customer", R, CUSTOMERS),
        Field("item", R, ("serviceItem",)),
        Field("hours", DUR, required=True, label="Duration"),
        Field("tranDate", D),
        Field("isBillable", B),
        Field("rate", M),
        Field("memo", T),
        Field("subsidiary", R, ("subsidiary",)),
        Field("postingPeriod", R, ("accountingPeriod",)),
        Field("approvalStatus", S, choices=APPROVAL_STATUSES),
        Field("caseTaskEvent", R),
        Field("department", R),
        Field("class", R),
        Field("location", R),
    ),
    posting=True,
    suiteql_table="timebill",
    ref_name_fields=("id",),
    created_field="createdDate",
)

RECORD_TYPES: dict[str, RecordType] = {
    t.name: t
    for t in (
        SUBSIDIARY,
        CUSTOMER,
        JOB,
        EMPLOYEE,
        ACCOUNTING_PERIOD,
        SERVICE_ITEM,
        BILLING_SCHEDULE,
        SALES_ORDER,
        INVOICE,
        JOURNAL_ENTRY,
        EXPENSE_REPORT,
        TIME_BILL,
    )
}


def lookup(name: str) -> RecordType | None:
    """The record type for a URL segment; NetSuite matches record type ids case-insensitively."""
    return RECORD_TYPES.get(name) or _LOWER.get(name.lower())


_LOWER = {name.lower(): t for name, t in RECORD_TYPES.items()}
