"""The fund ledger (基金一本账): double-entry journals per region, pending transfers, reports."""
