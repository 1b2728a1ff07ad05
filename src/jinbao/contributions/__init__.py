"""Contributions (缴费核定与征收记录): declarations, flexible workers, arrears, back-payments, refunds."""
