"""Sales: open deals move through the stages and are won or lost, a few recent wins are reopened and won
again, and new opportunities (priced like the firm's earlier deals) replace the ones decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from concord.sandbox.simulator.calendar import first_workday_of_week_in, next_workday
from concord.sandbox.simulator.context import SimContext, record_failure
from concord.sandbox.simulator.http import ApiError
from concord.sandbox.simulator.observe import read_deals
from concord.sandbox.simulator.report import Activity, DayReport
from concord.sandbox.simulator.world import Deal, LineTemplate

WON = "Closed Won"
LOST = "Closed Lost"
NEGOTIATION = "Negotiation/Review"
OPEN_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    NEGOTIATION,
)
REOPEN_WINDOW_DAYS = 30
REPEAT_BUSINESS = 0.6
_CENT = Decimal("0.01")
_LEAD_SOURCES = ("Web", "Partner Referral", "Phone Inquiry", "Other")
_TOPICS = ("follow-on", "phase 2", "extension", "rollout", "assessment", "support")


@dataclass(frozen=True)
class _Move:
    deal: Deal
    stage: str
    activity: Activity


def _stage_index(deal: Deal) -> int:
    return OPEN_STAGES.index(deal.stage) if deal.stage in OPEN_STAGES else 0


def _plan_moves(ctx: SimContext, day: date) -> list[_Move]:
    behaviour, world = ctx.behaviour, ctx.world
    moves: list[_Move] = []
    open_deals = sorted((d for d in world.deals.values() if not d.closed), key=lambda d: (d.name, d.opp_id))
    for deal in open_deals:
        if deal.opp_id in world.rewins:
            if world.rewins[deal.opp_id] <= day:
                moves.append(_Move(deal, WON, Activity.DEALS_REWON))
            continue
        dice = ctx.dice(day, "deal", deal.name)
        if deal.stage == NEGOTIATION:
            if dice.chance(behaviour.close_at_negotiation):
                won = dice.chance(behaviour.win_share)
                moves.append(
                    _Move(deal, WON if won else LOST, Activity.DEALS_WON if won else Activity.DEALS_LOST)
                )
        elif dice.chance(behaviour.early_loss):
            moves.append(_Move(deal, LOST, Activity.DEALS_LOST))
        elif dice.chance(behaviour.stage_advance):
            moves.append(_Move(deal, OPEN_STAGES[_stage_index(deal) + 1], Activity.DEALS_ADVANCED))
    wins = any(move.stage == WON for move in moves)
    if not wins and first_workday_of_week_in(day, ctx.start):
        moved = {move.deal.opp_id for move in moves}
        candidates = [d for d in open_deals if d.opp_id not in world.rewins and d.opp_id not in moved]
        if candidates:
            # Every week closes at least one deal: the most advanced one.
            best = max(candidates, key=lambda d: (_stage_index(d), d.name))
            moves.append(_Move(best, WON, Activity.DEALS_WON))
    return moves


def _plan_reopens(ctx: SimContext, day: date, moved: set[str]) -> list[_Move]:
    world = ctx.world
    recent = sorted(
        (
            d
            for d in world.deals.values()
            if d.won
            and d.opp_id not in moved
            and d.close_date is not None
            and day - timedelta(days=REOPEN_WINDOW_DAYS) <= d.close_date < day
        ),
        key=lambda d: (d.name, d.opp_id),
    )
    reopens = []
    for deal in recent:
        dice = ctx.dice(day, "reopen", deal.name)
        if dice.chance(ctx.behaviour.reopen_recent_win):
            world.rewins[deal.opp_id] = next_workday(day, dice.between(*ctx.behaviour.rewin_days))
            reopens.append(_Move(deal, NEGOTIATION, Activity.DEALS_REOPENED))
    return reopens


async def _apply(ctx: SimContext, day: date, moves: list[_Move], report: DayReport) -> None:
    records: list[dict[str, Any]] = []
    for move in moves:
        record: dict[str, Any] = {"Id": move.deal.opp_id, "StageName": move.stage}
        if move.stage in (WON, LOST):
            record["CloseDate"] = day.isoformat()
        records.append(record)
    results = await ctx.salesforce.update("Opportunity", records)
    for move, result in zip(moves, results, strict=True):
        if not result.get("success"):
            report.error(f"salesforce refused moving {move.deal.name!r}: {result.get('errors')}")
            if move.activity is Activity.DEALS_REOPENED:
                ctx.world.rewins.pop(move.deal.opp_id, None)
            continue
        move.deal.stage = move.stage
        if move.stage in (WON, LOST):
            move.deal.close_date = day
        if move.activity is Activity.DEALS_REWON:
            ctx.world.rewins.pop(move.deal.opp_id, None)
        report.add(move.activity)


def _account_core(name: str) -> str:
    return " ".join(name.split()[:2])[:50] or "Customer"


def _lines_for(ctx: SimContext, template: Deal, factor: Decimal) -> list[LineTemplate]:
    lines = ctx.world.lines.get(template.opp_id, [])
    if not lines:
        price = (template.amount or Decimal(50000)).quantize(_CENT)
        return [LineTemplate("Professional services", Decimal(1), price, None)]
    scaled = []
    for line in lines:
        quantity = line.quantity
        if line.role is not None:  # hours: scaled, in whole days
            quantity = max(Decimal(8), (line.quantity * factor / 8).quantize(Decimal(1)) * 8)
        scaled.append(LineTemplate(line.description, quantity, line.unit_price, line.role))
    return scaled


def _new_deal(
    ctx: SimContext, day: date, index: int, templates: list[Deal]
) -> tuple[dict[str, Any], list[LineTemplate]]:
    world = ctx.world
    dice = ctx.dice(day, "new-deal", index)
    template = dice.pick(templates)
    account_id = str(template.account_id)
    if not dice.chance(REPEAT_BUSINESS):
        peers = sorted(
            (aid for aid, (_, currency) in world.accounts.items() if currency == template.currency),
            key=lambda aid: (world.accounts[aid][0], aid),
        )
        account_id = dice.pick(peers) if peers else account_id
    account_name = world.accounts.get(account_id, ("Customer", template.currency))[0]
    lines = _lines_for(ctx, template, Decimal(dice.between(50, 150)) / 100)
    close = day + timedelta(days=dice.between(30, 120))
    topic = f"{template.service_line} {dice.pick(_TOPICS)}"
    name = f"{_account_core(account_name)} - {topic} ({day:%y%m%d}-{index + 1})"
    record = {
        "AccountId": account_id,
        "Name": name[:120],
        "StageName": "Prospecting",
        "CloseDate": close.isoformat(),
        "Amount": sum(((line.quantity * line.unit_price).quantize(_CENT) for line in lines), Decimal(0)),
        "CurrencyIsoCode": template.currency,
        "Service_Line__c": template.service_line,
        "Region__c": template.region,
        "Pricing_Model__c": template.pricing_model,
        "Expected_Start__c": (close + timedelta(days=dice.between(7, 21))).isoformat(),
        "Delivery_Template__c": template.delivery_template,
        "LeadSource": dice.pick(_LEAD_SOURCES),
        "Type": "Existing Customer - Upgrade" if account_id == template.account_id else "New Customer",
    }
    return {key: value for key, value in record.items() if value is not None}, lines


async def _create_deals(ctx: SimContext, day: date, count: int, report: DayReport) -> None:
    world = ctx.world
    templates = sorted(
        (d for d in world.deals.values() if d.service_line and d.account_id in world.accounts),
        key=lambda d: (d.name, d.opp_id),
    )
    if count <= 0 or not templates:
        return
    planned = [_new_deal(ctx, day, index, templates) for index in range(count)]
    results = await ctx.salesforce.create("Opportunity", [record for record, _ in planned])
    line_records: list[dict[str, Any]] = []
    for (record, lines), result in zip(planned, results, strict=True):
        if not result.get("success"):
            report.error(f"salesforce refused the new deal {record['Name']!r}: {result.get('errors')}")
            continue
        opp_id = str(result["id"])
        report.add(Activity.DEALS_CREATED)
        world.deals[opp_id] = Deal(
            opp_id,
            record["Name"],
            "Prospecting",
            record["Amount"],
            record["CurrencyIsoCode"],
            date.fromisoformat(record["CloseDate"]),
            record["AccountId"],
            record.get("Service_Line__c"),
            record.get("Region__c"),
            record.get("Pricing_Model__c"),
            record.get("Delivery_Template__c"),
        )
        world.lines[opp_id] = lines
        for line in lines:
            body: dict[str, Any] = {
                "OpportunityId": opp_id,
                "Description": line.description,
                "Quantity": line.quantity,
                "UnitPrice": line.unit_price,
            }
            if line.role is not None:
                body.update(Role__c=line.role, Hours__c=line.quantity, Rate__c=line.unit_price)
            line_records.append(body)
    line_results = await ctx.salesforce.create("OpportunityLineItem", line_records)
    report.add(Activity.LINE_ITEMS_CREATED, sum(1 for r in line_results if r.get("success")))
    for result in line_results:
        if not result.get("success"):
            report.error(f"salesforce refused a line item: {result.get('errors')}")


async def run_sales(ctx: SimContext, day: date, report: DayReport) -> None:
    """One working day of the sales team."""
    try:
        await read_deals(ctx)
        moves = _plan_moves(ctx, day)
        moves += _plan_reopens(ctx, day, {move.deal.opp_id for move in moves})
        await _apply(ctx, day, moves, report)
        decided = sum(1 for move in moves if move.activity in (Activity.DEALS_WON, Activity.DEALS_LOST))
        extra = 1 if ctx.dice(day, "new-deals").chance(ctx.behaviour.new_deal_extra) else 0
        await _create_deals(ctx, day, decided + extra, report)
    except ApiError as error:
        record_failure(report, error)
