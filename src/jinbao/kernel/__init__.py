"""Pure building blocks shared by every capability: errors, identifiers, money, clock.

Nothing here imports a database, web or CLI library (tests/unit/test_purity.py enforces it).
"""
