"""The audit log: every write records who did what, with old and new values, in its transaction."""
