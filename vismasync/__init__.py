"""vismasync: keeps Visma eAccounting and Visma.net ERP in sync, on Prefect 3."""

__version__ = "0.1.0"
