"""The optional stock availability check of the sales-order flow.

With ``flows.sales_orders.stock_check.enabled``, every order about to be sent is compared with
the Visma.net stock of the chosen warehouse (available or on hand), read once per run and
drawn down by the orders of the run as they pass. An order with a line short of stock is held
back (it waits in the failure queue, retried every run, the message naming the SKU, the need
and the stock) or sent on hold, as configured. Items that keep no stock are never short.
"""

from __future__ import annotations

from decimal import Decimal

from prefect import task
from prefect.cache_policies import NO_CACHE

from vismasync.engine.clients import vismanet_client
from vismasync.engine.run import RunContext
from vismasync.engine.work import Batch, WorkItem
from vismasync.mappings.stock import stock_quantity

# Stock per SKU of the current run (None: the item keeps no stock), read once per run.
_stock: dict[str, dict[str, Decimal | None]] = {}


def _read_stock(ctx: RunContext, warehouse: str, kind: str) -> dict[str, Decimal | None]:
    if ctx.run_id not in _stock:
        _stock.clear()  # one run at a time per process is what is kept
        items = vismanet_client(ctx.config).list_inventory(
            None, expand_warehouse_detail=True, expand_attribute=False, expand_attachment=False
        )
        _stock[ctx.run_id] = {
            item.inventory_number: stock_quantity(item.model_dump(by_alias=True), [warehouse], kind)
            if item.stock_item
            else None
            for item in items
        }
    return _stock[ctx.run_id]


def _needs(item: WorkItem) -> dict[str, Decimal]:
    needs: dict[str, Decimal] = {}
    for line in item.payload.get("lines") or item.payload.get("invoiceLines") or []:
        sku = line["inventoryNumber"]
        needs[sku] = needs.get(sku, Decimal(0)) + Decimal(str(line.get("quantity") or 0))
    return needs


@task(name="check-stock", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def check_stock(ctx: RunContext, batch: Batch) -> None:
    """Hold back (or put on hold) each order whose lines exceed the Visma.net stock."""
    settings = ctx.config.flows.sales_orders
    check = settings.stock_check
    if not check.enabled:
        return
    warehouse = check.warehouse or settings.warehouse or ""
    stock = _read_stock(ctx, warehouse, check.quantity)
    for item in batch.planned():
        needs = _needs(item)
        short = [
            (sku, need, stock.get(sku) or Decimal(0))
            for sku, need in needs.items()
            if stock.get(sku, Decimal(0)) is not None and need > (stock.get(sku) or Decimal(0))
        ]
        if not short:
            for sku, need in needs.items():
                if stock.get(sku) is not None:
                    stock[sku] = (stock[sku] or Decimal(0)) - need
            continue
        listing = "; ".join(
            f"{sku}: needs {format(need.normalize(), 'f')}, {check.quantity.replace('_', ' ')} "
            f"{format(have.normalize(), 'f')} in warehouse {warehouse}"
            for sku, need, have in short
        )
        if check.action == "send_on_hold":
            item.extra["write"] = item.extra["write"].model_copy(update={"hold": True})
            batch.summary.notes.append(f"{item.label} sent on hold, short of stock: {listing}")
        else:
            item.fail("stock", f"{item.label} held back, short of stock in Visma.net: {listing}; "
                               "retried on every run until the stock is there")  # fmt: skip
