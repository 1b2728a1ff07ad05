"""Public calculators: the policy engine over HTTP (/api/policy/…) and the CLI (jinbao policy …).

The engine itself (:mod:`jinbao.policy`) is pure; this package parses inputs, loads the parameter
tables once, calls the rule and returns its value with its explanation.
"""
