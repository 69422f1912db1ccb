"""Reading the firm from the emulators' APIs: consultants, projects with their teams, tasks and
assignments, open timesheets and unsubmitted time in Kantata; accounts, deals, their line items and
change orders in Salesforce. Works on any seeded sandbox: nothing is taken from the generator."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from concord.sandbox.simulator import change_orders
from concord.sandbox.simulator.context import SimContext
from concord.sandbox.simulator.world import (
    Consultant,
    Deal,
    Entry,
    LineTemplate,
    PendingChangeOrder,
    Project,
    Story,
)

Record = dict[str, Any]
DRAFT_LOOKBACK_DAYS = 21
RECENT_APPROVED = 200


def parse_day(value: Any) -> date | None:
    """A ``YYYY-MM-DD`` (or ISO datetime) value as a date; ``None`` when absent or malformed."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def decimal_or_none(value: Any) -> Decimal | None:
    """A JSON number or numeric text as a Decimal."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


async def read_consultants(ctx: SimContext) -> None:
    """The enabled Kantata users who hold a delivery role (the account administrator holds none)."""
    users, _ = await ctx.kantata.index("users", {"include": "role"})
    ctx.world.consultants = {
        str(user["id"]): Consultant(
            user_id=str(user["id"]),
            key=str(user.get("email_address") or user["id"]).lower(),
            name=str(user.get("full_name") or ""),
            role_id=str(user["role_id"]),
        )
        for user in users
        if not user.get("disabled") and user.get("role_id")
    }


async def read_projects(ctx: SimContext) -> None:
    """Every unarchived workspace with its team (participations), tasks and current assignments."""
    workspaces, included = await ctx.kantata.index("workspaces", {"include": "participations"})
    stories, _ = await ctx.kantata.index("stories")
    assignments, _ = await ctx.kantata.index("assignments")
    projects: dict[str, Project] = {}
    for workspace in workspaces:
        project = Project(
            workspace_id=str(workspace["id"]),
            key=f"{workspace.get('title')}|{workspace.get('start_date')}",
            title=str(workspace.get("title") or ""),
            currency=str(workspace.get("currency") or "USD"),
            status_key=int(workspace.get("status_key") or (workspace.get("status") or {}).get("key") or 200),
            start=parse_day(workspace.get("start_date")),
            due=parse_day(workspace.get("due_date")),
            base_unit=int(workspace.get("currency_base_unit") or 100),
        )
        for participation_id in workspace.get("participation_ids", []):
            member = included.get("participations", {}).get(str(participation_id))
            if member and member.get("role", "maven") == "maven":
                project.team[str(member["user_id"])] = bool(member.get("is_team_lead"))
        projects[project.workspace_id] = project
    story_projects: dict[str, Project] = {}
    for story in stories:
        owner = projects.get(str(story.get("workspace_id")))
        if owner is None:
            continue
        key = f"{owner.key}|{story.get('story_type')}|{story.get('title')}|{story.get('due_date')}"
        owner.stories.append(
            Story(
                story_id=str(story["id"]),
                key=key,
                title=str(story.get("title") or ""),
                story_type=str(story.get("story_type") or "task"),
                state=str(story.get("state") or "not started"),
                due=parse_day(story.get("due_date")),
            )
        )
        story_projects[str(story["id"])] = owner
    for assignment in assignments:
        assigned_in = story_projects.get(str(assignment.get("story_id")))
        if assigned_in is not None and assignment.get("current", True):
            assigned_in.assigned.add((str(assignment["story_id"]), str(assignment["assignee_id"])))
    ctx.world.projects = projects


def entry_from(ctx: SimContext, record: Record) -> Entry:
    """A Kantata time entry as the simulator tracks it (keyed by its content)."""
    world = ctx.world
    user_id, workspace_id = str(record.get("user_id")), str(record.get("workspace_id"))
    day = parse_day(record.get("date_performed")) or ctx.start
    minutes = int(record.get("time_in_minutes") or 0)
    notes = str(record.get("notes") or "")
    key = f"{world.consultant_key(user_id)}|{world.project_key(workspace_id)}|{day}|{minutes}|{notes}"
    return Entry(str(record["id"]), key, user_id, workspace_id, day, minutes, notes)


async def read_submissions(ctx: SimContext, status: str) -> list[tuple[Record, list[Entry]]]:
    """Timesheet submissions in ``status`` with their entries (for approved ones, the most recent only)."""
    params = {"statuses": status, "include": "time_entries"}
    if status == "approved":
        params.update(order="date:desc", limit=str(RECENT_APPROVED), offset="0")
        records, included = await ctx.kantata.index("timesheet_submissions", params, max_pages=1)
    else:
        records, included = await ctx.kantata.index("timesheet_submissions", params)
    entries = included.get("time_entries", {})
    found: list[tuple[Record, list[Entry]]] = []
    for record in records:
        ids = [str(i) for i in record.get("time_entry_ids", [])]
        found.append((record, [entry_from(ctx, entries[i]) for i in ids if i in entries]))
    return found


async def read_drafts(ctx: SimContext) -> None:
    """Time logged in the last three weeks and not on a pending or approved timesheet: never submitted,
    or rejected and waiting for a new submission. It goes on its consultant's desk."""
    low = ctx.start - timedelta(days=DRAFT_LOOKBACK_DAYS)
    high = ctx.start - timedelta(days=1)
    params = {"in_active_submission": "false", "date_performed_between": f"{low}:{high}"}
    records, _ = await ctx.kantata.index("time_entries", params)
    for record in records:
        entry = entry_from(ctx, record)
        if entry.user_id in ctx.world.consultants and entry.workspace_id in ctx.world.projects:
            ctx.world.desk(entry.user_id).drafts.setdefault(entry.workspace_id, []).append(entry)
    for desk in ctx.world.desks.values():
        for entries in desk.drafts.values():
            entries.sort(key=lambda e: e.key)


async def latest_time_entry_day(ctx: SimContext) -> date | None:
    """The latest day any time was logged for (to start a simulation after it)."""
    params = {"order": "date_performed:desc", "limit": "1", "offset": "0"}
    records, _ = await ctx.kantata.index("time_entries", params, max_pages=1)
    return parse_day(records[0].get("date_performed")) if records else None


_DEAL_FIELDS = (
    "Id, Name, StageName, Amount, CurrencyIsoCode, CloseDate, AccountId, Service_Line__c, Region__c, "
    "Pricing_Model__c, Delivery_Template__c"
)


def deal_from(row: Record) -> Deal:
    """An Opportunity row as a deal."""
    return Deal(
        opp_id=str(row["Id"]),
        name=str(row.get("Name") or ""),
        stage=str(row.get("StageName") or "Prospecting"),
        amount=decimal_or_none(row.get("Amount")),
        currency=str(row.get("CurrencyIsoCode") or "USD"),
        close_date=parse_day(row.get("CloseDate")),
        account_id=row.get("AccountId"),
        service_line=row.get("Service_Line__c"),
        region=row.get("Region__c"),
        pricing_model=row.get("Pricing_Model__c"),
        delivery_template=row.get("Delivery_Template__c"),
    )


async def read_deals(ctx: SimContext) -> None:
    """Every opportunity, as the CRM has it now."""
    rows = await ctx.salesforce.query(f"SELECT {_DEAL_FIELDS} FROM Opportunity")
    ctx.world.deals = {deal.opp_id: deal for deal in map(deal_from, rows)}


async def read_sales_reference(ctx: SimContext) -> None:
    """Accounts, the line items of the deals (to price new deals), change orders raised so far (the
    submitted ones to decide), and the user who approves change orders."""
    world = ctx.world
    accounts = await ctx.salesforce.query("SELECT Id, Name, CurrencyIsoCode FROM Account")
    world.accounts = {
        str(a["Id"]): (str(a.get("Name") or ""), str(a.get("CurrencyIsoCode") or "USD")) for a in accounts
    }
    lines = await ctx.salesforce.query(
        "SELECT OpportunityId, Description, Quantity, UnitPrice, Role__c FROM OpportunityLineItem"
    )
    world.lines = {}
    for line in lines:
        quantity, price = decimal_or_none(line.get("Quantity")), decimal_or_none(line.get("UnitPrice"))
        if quantity is None or price is None:
            continue
        template = LineTemplate(
            str(line.get("Description") or "Services"), quantity, price, line.get("Role__c")
        )
        world.lines.setdefault(str(line["OpportunityId"]), []).append(template)
    for templates in world.lines.values():
        templates.sort(key=lambda t: (t.description, t.quantity, t.unit_price))
    orders = await ctx.salesforce.query("SELECT Id, Name, Opportunity__c, Status__c FROM Change_Order__c")
    world.change_orders = {}
    world.pending_change_orders = []
    for order in sorted(orders, key=lambda o: (str(o.get("Name")), str(o["Id"]))):
        opp_id = str(order.get("Opportunity__c"))
        world.change_orders[opp_id] = world.change_orders.get(opp_id, 0) + 1
        if order.get("Status__c") == "Submitted":
            key = str(order.get("Name") or order["Id"])
            decide_on, reject = change_orders.schedule(ctx, key, ctx.start - timedelta(days=1))
            world.pending_change_orders.append(PendingChangeOrder(str(order["Id"]), key, decide_on, reject))
    world.approver_id = await ctx.salesforce.running_user_id()
