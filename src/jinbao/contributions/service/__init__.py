"""Contribution use cases: declare (bulk), pay, flexible workers, back-pay, refund, arrears.

Every use case writes its records, the account entries and the ledger journal in the caller's
unit of work, so money and records are written together or not at all. Nothing is updated or
deleted: a correction is a reversal record with its reversing journal.

For generators of records in bulk (the synthetic nation): :class:`Rules` (rates and limits
cached per month), :func:`record_row` and :func:`write_batch`, the writer every declaration
goes through, so that generated records are written exactly as declared ones.
"""

from jinbao.contributions.service._base import (
    DeclarationRow,
    PostingReport,
    Rules,
    payments_of,
    records_in_force,
)
from jinbao.contributions.service._writing import record_row, write_batch
from jinbao.contributions.service.declare import declare, pay
from jinbao.contributions.service.deemed import (
    DeemedYears,
    cancel_deemed_years,
    record_deemed_years,
)
from jinbao.contributions.service.individual import BackPayment, back_pay, flexible
from jinbao.contributions.service.queries import (
    Overlap,
    employer_arrears,
    employer_records,
    history,
    history_json,
    overlaps,
    person_arrears,
)
from jinbao.contributions.service.refund import refund

__all__ = [
    "BackPayment",
    "DeclarationRow",
    "DeemedYears",
    "Overlap",
    "PostingReport",
    "Rules",
    "back_pay",
    "cancel_deemed_years",
    "declare",
    "employer_arrears",
    "employer_records",
    "flexible",
    "history",
    "history_json",
    "overlaps",
    "pay",
    "payments_of",
    "person_arrears",
    "record_deemed_years",
    "record_row",
    "records_in_force",
    "refund",
    "write_batch",
]
