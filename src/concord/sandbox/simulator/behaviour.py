"""How the firm's people behave: the rates and delays the simulator draws its decisions from.

Rates are per working day unless said otherwise. The defaults give a consulting firm's usual rhythm: a
win rate near 30 % of decided deals, most timesheets and expense reports approved within one to three
days, a few rejected, about one correction after approval per hundred timesheets, and every simulated
week brings at least one of each rare case (a won deal, a change order, a correction after approval) so
that even a short run shows them all.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Behaviour:
    """The rates and delays of the simulated firm.

    Attributes:
        stage_advance: An open deal moves to the next stage.
        early_loss: An open deal before negotiation is lost.
        close_at_negotiation: A deal in negotiation is decided (won or lost).
        win_share: Of the deals decided in negotiation, the share won.
        reopen_recent_win: A deal won in the last 30 days is reopened (a contract detail to rework).
        rewin_days: Working days until a reopened deal is won again (low, high).
        new_deal_extra: Chance of one more new deal on top of replacing the deals closed that day.
        change_order: A won deal gets a change order raised.
        change_order_days: Working days until a change order is decided (low, high).
        change_order_rejected: Share of change orders rejected.
        team_size: Team size a project is staffed to (low, high).
        grow_team: A fully staffed project takes one more consultant.
        max_projects: Projects a consultant works on at once.
        complete_due_milestone: A milestone past its due date is completed.
        milestone_slip_days: Working days after its due date by which a milestone is completed at the latest.
        finish_past_due: A project past its due date is set to Completed.
        forget_day: A consultant forgets to log a day.
        catch_up: A forgotten day is caught up on a later working day (all are by the submission day).
        day_minutes: Minutes a consultant logs on a day (low, high; quarter hours).
        entries_per_day: Entries a day is split into (low, high).
        duplicate_entry: A consultant logs one entry twice.
        late_submitter: A consultant submits the week's timesheets on the next Monday.
        double_submit: A consultant submits the same timesheet a second time (the platform refuses).
        approval_delay: Working days from submission to decision, with weights.
        rejected: Share of timesheets rejected.
        edit_after_approval: Share of approved timesheets reopened later to correct an entry.
        correction_days: Working days from approval to the reopening (low, high).
        expense: A consultant on a project files an expense.
        expense_approval_delay: Working days from an expense report's submission to its decision, with
            weights.
        expense_rejected: Share of expense reports rejected (the consultant corrects and submits again).
        close_workday: The working day of a month on which the previous month's period is closed.
    """

    stage_advance: float = 0.12
    early_loss: float = 0.008
    close_at_negotiation: float = 0.3
    win_share: float = 0.6
    reopen_recent_win: float = 0.004
    rewin_days: tuple[int, int] = (2, 6)
    new_deal_extra: float = 0.3
    change_order: float = 0.004
    change_order_days: tuple[int, int] = (1, 4)
    change_order_rejected: float = 0.1
    team_size: tuple[int, int] = (2, 5)
    grow_team: float = 0.01
    max_projects: int = 2
    complete_due_milestone: float = 0.5
    milestone_slip_days: int = 3
    finish_past_due: float = 0.4
    forget_day: float = 0.06
    catch_up: float = 0.5
    day_minutes: tuple[int, int] = (360, 540)
    entries_per_day: tuple[int, int] = (2, 5)
    duplicate_entry: float = 0.004
    late_submitter: float = 0.1
    double_submit: float = 0.01
    approval_delay: tuple[tuple[int, int], ...] = ((1, 50), (2, 30), (3, 10), (6, 10))
    rejected: float = 0.03
    edit_after_approval: float = 0.01
    correction_days: tuple[int, int] = (1, 5)
    expense: float = 0.05
    expense_approval_delay: tuple[tuple[int, int], ...] = ((1, 40), (2, 30), (3, 15), (6, 15))
    expense_rejected: float = 0.05
    close_workday: int = 3


DEFAULT_BEHAVIOUR = Behaviour()
