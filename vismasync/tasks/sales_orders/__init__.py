"""The steps of the sales-order flow (eAccounting -> Visma.net)."""
