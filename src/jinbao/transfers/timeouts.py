"""The timeout sweep: money in transit long past the receiving agency's deadline comes back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, select

from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import Clock
from jinbao.ledger.tables import pending_transfers
from jinbao.policy.parameters import ParameterMissing, Parameters
from jinbao.policy.workdays import add_workdays, working_days_between
from jinbao.transfers import cases
from jinbao.transfers.cases import CaseRow, Side
from jinbao.transfers.model import (
    clock as leg_clock,
)
from jinbao.transfers.review import Message, close, void_reservation
from jinbao.transfers.tables import (
    transfer_cases,
)


def funds_overdue_days(row: CaseRow, today: dt.date, params: Parameters) -> int:
    """Working days the receiving agency is past its leg-3 deadline (0 if not past it)."""
    found = leg_clock(
        row.case,
        today,
        int(params.transfer("leg_working_days").value),
        lambda d, n: add_workdays(d, n, params).value,
        lambda a, b: working_days_between(a, b, params),
    )
    if found is None or found.leg != 3 or found.working_days_left is None:
        return 0
    return max(0, -found.working_days_left)


@dataclass(frozen=True, slots=True)
class TimeoutReport:
    voided: list[str]
    # cases whose deadline cannot be computed (say, next year's holidays are not loaded yet):
    # left as they are, named so an operator can load the calendar
    undetermined: list[str]


def void_overdue(
    engine: Engine, clock: Clock, params: Parameters, *, agency_code: str | None = None
) -> TimeoutReport:
    """The timeout sweep (run daily): each case whose money has waited in transit longer than
    the receiving agency's leg-3 deadline plus ``funds_void_after_working_days`` (a sample
    parameter: no national rule fixes it) is voided by the transferring agency — the pending
    ledger transfer voided, the account put back — and the receiving agency is told in writing,
    so the person can apply again. One transaction per case; a case the receiving agency
    completed meanwhile is left alone (the ledger posts or voids a transfer once)."""
    grace = int(params.transfer("funds_void_after_working_days").value)
    due, undetermined = [], []
    with UnitOfWork(engine, clock, "transfer-timeouts") as uow:
        today = uow.clock.today()
        conditions = [
            transfer_cases.c.side == Side.TRANSFERRING.value,
            transfer_cases.c.state == "funds_sent",
        ]
        if agency_code is not None:
            agency_id, _ = cases.agency(uow, agency_code)
            conditions.append(transfer_cases.c.agency_id == agency_id)
        for row in cases.rows_where(uow, *conditions):
            try:
                if funds_overdue_days(row, today, params) > grace:
                    due.append(row.case_id)
            except ParameterMissing:
                undetermined.append(row.case_id)
    voided = []
    for case_id in due:
        with UnitOfWork(engine, clock, "transfer-timeouts") as uow:
            row = cases.get(uow, case_id, Side.TRANSFERRING)
            late = funds_overdue_days(row, uow.clock.today(), params)
            if row.case.state.value != "funds_sent" or late <= grace:
                continue
            state = uow.conn.execute(
                select(pending_transfers.c.state).where(
                    pending_transfers.c.transfer_key == row.transfer_key
                )
            ).scalar()
            if state not in (None, "pending"):
                continue  # posted by the receiving agency: its 办结通知 is on the way
            reasons: list[Message] = [
                {
                    "code": "transfer.funds_timeout",
                    "zh": f"转入地超过办结时限{late}个工作日仍未办结（逾期{grace}个工作日即作废），"
                    "转出地已收回资金并恢复个人账户，本次转移作废；参保人员可重新申请。",
                    "en": f"The receiving agency is {late} working days past its deadline (the "
                    f"limit is {grace}); the transferring agency took the money back and restored "
                    "the account, and this transfer is void. The person may apply again.",
                }
            ]
            void_reservation(uow, row, uow.clock.today())
            close(uow, case_id, Side.TRANSFERRING, "voided", "timed_out", reasons, None, send=True)
            uow.commit()
            voided.append(case_id)
    return TimeoutReport(voided, undetermined)
