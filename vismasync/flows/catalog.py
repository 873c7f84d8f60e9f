"""Every sync flow's declaration, in one list: the product's per-flow lists derive from it
(deployments, `vismasync run` commands, retries, the failure queue's entities, setup checks).

Adding a flow is one declaration (beside its tasks, mapping and writer) and a line here.
"""

from __future__ import annotations

from vismasync.config.model import FLOW_NAMES, FlowName
from vismasync.engine.entity import EntitySpec
from vismasync.flows.customers import CUSTOMERS
from vismasync.flows.products import ARTICLES
from vismasync.flows.sales_orders import SALES_ORDERS
from vismasync.flows.stock import STOCK_LEVELS

SYNC_FLOWS: tuple[EntitySpec, ...] = (SALES_ORDERS, CUSTOMERS, ARTICLES, STOCK_LEVELS)
BY_FLOW: dict[FlowName, EntitySpec] = {spec.flow: spec for spec in SYNC_FLOWS}
FLOWS: tuple[FlowName, ...] = tuple(BY_FLOW)

# The integration file has one settings section per flow (config sits below the flows and
# cannot import them): a declaration without its section, or the reverse, is a defect.
if set(FLOWS) != set(FLOW_NAMES):
    raise RuntimeError(f"declared flows {FLOWS} differ from the configuration's {FLOW_NAMES}")


def load_flow(spec: EntitySpec):
    """The Prefect flow object of a declaration (its entrypoint's attribute)."""
    import importlib

    module, attribute = spec.entrypoint.split(":")
    return getattr(importlib.import_module(module), attribute)
