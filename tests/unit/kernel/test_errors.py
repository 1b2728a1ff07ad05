"""Domain errors cross process boundaries whole (the synthetic nation's writers raise them)."""

from __future__ import annotations

import pickle

from jinbao.kernel.errors import Conflict, InvalidInput, Issue
from jinbao.policy.parameters import ParameterMissing


def test_a_domain_error_pickles_with_its_messages_field_and_issues() -> None:
    issue = Issue("row.bad", "第3行有误", "Row 3 is wrong", field="wage", row=3)
    for error in (
        Conflict("sim.id_taken", "已占用", "taken"),
        InvalidInput("decl.rows", "有误", "wrong", field="wage", issues=[issue]),
        ParameterMissing("param.year", "缺少", "missing"),
    ):
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error)
        assert (back.code, back.zh, back.en, back.field) == (
            error.code,
            error.zh,
            error.en,
            error.field,
        )
        assert back.issues == error.issues
        assert str(back) == str(error)
