"""Change orders on won deals (Salesforce ``Change_Order__c``): raised as Submitted with extra hours and
value, then approved (by the integration's user, with the approval time) or rejected a few days later.
Every simulated week raises at least one when the firm has won deals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from concord.sandbox.simulator.calendar import Checkpoint, first_workday_of_week_in, next_workday
from concord.sandbox.simulator.context import SimContext, record_failure
from concord.sandbox.simulator.http import ApiError
from concord.sandbox.simulator.report import Activity, DayReport
from concord.sandbox.simulator.world import Deal, PendingChangeOrder

DEFAULT_RATE = Decimal(150)
NAME_LENGTH = 80
_CENT = Decimal("0.01")
_REASONS = (
    "Additional integration scope requested by the client",
    "Extra training sessions for new user groups",
    "Data migration of a further legal entity",
    "Extended hypercare after go-live",
    "Additional reporting requirements",
)


def schedule(ctx: SimContext, key: str, raised_on: date) -> tuple[date, bool]:
    """When the change order called ``key`` is decided, and whether it is rejected."""
    dice = ctx.dice("change-order-decision", key)
    return next_workday(raised_on, dice.between(*ctx.behaviour.change_order_days)), dice.chance(
        ctx.behaviour.change_order_rejected
    )


def _rate(ctx: SimContext, deal: Deal) -> Decimal:
    hourly = [line for line in ctx.world.lines.get(deal.opp_id, []) if line.role is not None]
    hours = sum((line.quantity for line in hourly), Decimal(0))
    if not hours:
        return DEFAULT_RATE
    return sum((line.quantity * line.unit_price for line in hourly), Decimal(0)) / hours


def _body(ctx: SimContext, day: date, deal: Deal) -> dict[str, Any]:
    world = ctx.world
    number = world.change_orders.get(deal.opp_id, 0) + 1
    world.change_orders[deal.opp_id] = number
    dice = ctx.dice(day, "change-order", deal.name)
    hours = Decimal(dice.between(8, 120, 8))
    reason = dice.pick(_REASONS)
    body: dict[str, Any] = {
        "Name": f"CO-{number:02d} {deal.name}"[:NAME_LENGTH],
        "Opportunity__c": deal.opp_id,
        "Delta_Hours__c": hours,
        "Delta_Amount__c": (hours * _rate(ctx, deal)).quantize(_CENT),
        "CurrencyIsoCode": deal.currency,
        "Status__c": "Submitted",
        "Effective_Date__c": next_workday(day, 5).isoformat(),
        "Description__c": reason,
    }
    if deal.pricing_model == "Fixed Fee":
        body["New_Milestones__c"] = (
            f"Change order {number} acceptance, due {next_workday(day, 20).isoformat()}"
        )
    return body


async def _raise(ctx: SimContext, day: date, report: DayReport) -> None:
    world = ctx.world
    won = sorted(
        (d for d in world.deals.values() if d.won and d.opp_id not in world.rewins), key=lambda d: d.name
    )
    chosen = [d for d in won if ctx.dice(day, "change-order?", d.name).chance(ctx.behaviour.change_order)]
    if not chosen and won and first_workday_of_week_in(day, ctx.start):
        chosen = [ctx.dice(day, "change-order-floor").pick(won)]
    bodies = [_body(ctx, day, deal) for deal in chosen]
    results = await ctx.salesforce.create("Change_Order__c", bodies)
    for body, result in zip(bodies, results, strict=True):
        if not result.get("success"):
            report.error(f"salesforce refused the change order {body['Name']!r}: {result.get('errors')}")
            continue
        report.add(Activity.CHANGE_ORDERS_CREATED)
        decide_on, reject = schedule(ctx, body["Name"], day)
        world.pending_change_orders.append(
            PendingChangeOrder(str(result["id"]), body["Name"], decide_on, reject)
        )


async def _decide(ctx: SimContext, day: date, report: DayReport) -> None:
    world = ctx.world
    due = sorted((o for o in world.pending_change_orders if o.decide_on <= day), key=lambda o: o.key)
    if not due:
        return
    approved_at = Checkpoint.SALES.on(day).isoformat()
    records: list[dict[str, Any]] = []
    for order in due:
        record: dict[str, Any] = {
            "Id": order.record_id,
            "Status__c": "Rejected" if order.reject else "Approved",
        }
        if not order.reject:
            record["Approved_Date__c"] = approved_at
            if world.approver_id:
                record["Approved_By__c"] = world.approver_id
        records.append(record)
    results = await ctx.salesforce.update("Change_Order__c", records)
    for order, result in zip(due, results, strict=True):
        world.pending_change_orders.remove(order)
        if not result.get("success"):
            report.error(f"salesforce refused deciding {order.key!r}: {result.get('errors')}")
            continue
        report.add(Activity.CHANGE_ORDERS_REJECTED if order.reject else Activity.CHANGE_ORDERS_APPROVED)


async def run_change_orders(ctx: SimContext, day: date, report: DayReport) -> None:
    """Decide the change orders due today, then raise new ones."""
    try:
        await _decide(ctx, day, report)
        await _raise(ctx, day, report)
    except ApiError as error:
        record_failure(report, error)
