"""Personal accounts (个人账户): an append-only ledger per person and scheme, and yearly interest."""
