"""The policy engine: every pension rule as a pure function that explains itself.

Rules take their inputs, the date they are evaluated at, and the :class:`Parameters` in force,
and return :class:`~jinbao.policy.explain.Explained` values. Nothing here touches a database,
the web or the command line (tests/unit/test_purity.py).
"""
