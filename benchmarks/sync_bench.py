"""End-to-end throughput of the sync flows on the bundled emulators (printed, not asserted).

Builds a larger eAccounting company than the demo seed (the demo's orders repeated), runs the
sales-order flow over it, then again (nothing to do), and the master-data flows once each, all
against real HTTP servers, real PostgreSQL and a Prefect test server.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path

COPIES = int(os.environ.get("VISMASYNC_BENCH_COPIES", "5"))


ORDER_FIELDS = (
    "CustomerId", "CurrencyCode", "EuThirdParty", "ReverseChargeOnConstructionServices",
    "RotReducedInvoicingType", "OrderDate", "YourReference", "OurReference",
    "DeliveryMethodCode", "DeliveryMethodName",
)  # fmt: skip
ROW_FIELDS = (
    "LineNumber", "ArticleId", "Quantity", "UnitPrice", "DiscountPercentage", "IsTextRow",
    "IsWorkCost", "EligibleForReverseChargeOnVat",
)  # fmt: skip


def _grow(backend, copies: int) -> int:
    """Add ``copies`` copies of every eligible demo order as new shipped orders."""
    orders = [o for o in backend.store.data["orders"].values() if o["Status"] in (3, 4)]
    for _ in range(copies):
        for order in orders:
            payload = {k: order[k] for k in ORDER_FIELDS if order.get(k) is not None}
            payload["Status"] = 3
            payload["Rows"] = [
                {k: row[k] for k in ROW_FIELDS if row.get(k) is not None} for row in order["Rows"]
            ]
            backend.create_order(payload)
    return len(orders) * (copies + 1)


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="vismasync-bench-"))
    os.environ.setdefault("VISMASYNC_HOME", str(home / "home"))
    os.environ["VISMASYNC_CONFIG_DIR"] = str(home / "integrations")
    os.environ["PREFECT_HOME"] = str(home / "prefect")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"

    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    from vismasync.config.integrations import load_integration
    from vismasync.deployments.demo_integration import write_demo_config
    from vismasync.emulators.common import ThreadedServer
    from vismasync.emulators.eaccounting.backend import EAccountingBackend
    from vismasync.emulators.eaccounting.seed import demo_seed
    from vismasync.emulators.eaccounting.server import create_app as ea_app
    from vismasync.emulators.vismanet.server import create_app as vn_app
    from vismasync.emulators.vismanet.service import VismaNetService
    from vismasync.engine.clients import authorize_auto_approving_eaccounting
    from vismasync.flows.customers import sync_customers
    from vismasync.flows.products import sync_products
    from vismasync.flows.sales_orders import sync_sales_orders
    from vismasync.flows.stock import sync_stock

    backend = EAccountingBackend(demo_seed())
    documents = _grow(backend, COPIES)
    name = f"bench-{uuid.uuid4().hex[:6]}"
    with (
        ThreadedServer(ea_app(backend)) as ea,
        ThreadedServer(vn_app(VismaNetService("demo"))) as vn,
        prefect_test_harness(server_startup_timeout=60),
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        write_demo_config(home / "integrations", name, ea.base_url, vn.base_url)
        authorize_auto_approving_eaccounting(load_integration(name))
        runs = [
            ("sales orders, first run", sync_sales_orders, documents),
            ("sales orders, second run (nothing new)", sync_sales_orders, documents),
            ("customers", sync_customers, None),
            ("products", sync_products, None),
            ("stock", sync_stock, None),
        ]
        for label, flow, count in runs:
            start = time.perf_counter()
            result = flow(name)
            elapsed = time.perf_counter() - start
            rate = f"{count / elapsed:8.1f} documents/s" if count else ""
            print(f"{label:<42} {elapsed:7.2f} s  {rate}")
            for line in result["summary"].splitlines()[1:]:
                if not line.strip().startswith(("FAILED", "note:")):
                    print("    " + line.strip())


if __name__ == "__main__":
    main()
