"""The demo integration: both bundled emulators, with the settings the demo seeds are made for."""

from __future__ import annotations

import os
from pathlib import Path

EACCOUNTING_DEMO_CLIENT = ("vismasync-demo", "vismasync-demo-secret")
VISMANET_DEMO_CLIENT = ("vismasync-demo", "demo-secret")
VISMANET_DEMO_TENANT = "demo-company"
EACCOUNTING_SECRET_ENV = "VISMASYNC_DEMO_EACCOUNTING_SECRET"
VISMANET_SECRET_ENV = "VISMASYNC_DEMO_VISMANET_SECRET"


def demo_config_text(name: str, eaccounting_url: str, vismanet_url: str) -> str:
    """YAML of an integration pairing the emulators at ``eaccounting_url`` and ``vismanet_url``
    (base URLs such as ``http://127.0.0.1:8091``)."""
    return f"""\
# The demo integration: the bundled eAccounting and Visma.net emulators.
name: {name}
eaccounting:
  api_url: {eaccounting_url}/v2
  identity_url: {eaccounting_url}
  client_id: {EACCOUNTING_DEMO_CLIENT[0]}
  client_secret: env:{EACCOUNTING_SECRET_ENV}
  redirect_uri: http://localhost:8765/callback
vismanet:
  api_url: {vismanet_url}/API
  # SalesOrders V3: its own host in production, mounted beside the Visma.net emulator here.
  salesorders_url: {vismanet_url}/salesorders-api
  token_url: {vismanet_url}/connect/token
  client_id: {VISMANET_DEMO_CLIENT[0]}
  client_secret: env:{VISMANET_SECRET_ENV}
  tenant_id: {VISMANET_DEMO_TENANT}
  scopes:
    - vismanet_erp_service_api:read
    - vismanet_erp_service_api:create
    - vismanet_erp_service_api:update
    - visma.net.erp.salesorder:read
    - visma.net.erp.salesorder:write
flows:
  customers:
    enabled: true
    schedule: {{interval_minutes: 15}}
    defaults:
      terms_of_payment_id: 30 dagar
    value_maps:
      payment_terms: {{table: {{"10": 10 dagar, "30": 30 dagar}}}}
  products:
    enabled: true
    schedule: {{interval_minutes: 60}}
    create_only_fields: [Name]
    value_maps:
      unit: {{table: {{PCS: st, PACK: pkt, METER: m}}}}
      account_coding: {{table: {{"1": Goods 25% VAT, "2": Goods 12% VAT, "3": Goods 6% VAT}}}}
      service_account_coding:
        table: {{"1": Services 25% VAT, "2": Services 12% VAT, "3": Services 6% VAT}}
  stock:
    enabled: true
    schedule: {{interval_minutes: 15}}
    warehouses: [MAIN, NORTH]
    quantity: on_hand
  sales_orders:
    enabled: true
    schedule: {{interval_minutes: 5}}
    statuses: [Shipped, Invoiced]
    target_document: sales_order
    order_type: SO
    sales_order_api: v3
    order_key: auto
    order_numbering_id: SOORDER
    branch:
      default: "1"
      by_country: {{"NO": "2", "DK": "3", "FI": "3", "DE": "3", "NL": "3"}}
    warehouse: MAIN
    shipping:
      source_articles: [SHIPPING]
      sku: SHIPPING
      description: Shipping
      tax_code: "1"
    value_maps:
      tax_code: {{table: {{"25": "1", "12": "2", "6": "3"}}, default: "1"}}
      payment_terms: {{table: {{"30 dagar": "30", "10 dagar": "10"}}, default: "30"}}
      shipping_methods: {{table: {{POST: POSTNORD, DHL: DHL, PICKUP: PICKUP}}}}
"""


def write_demo_config(directory: Path, name: str, eaccounting_url: str, vismanet_url: str) -> Path:
    """Write the demo integration file and export the emulators' demo secrets it refers to."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.yaml"
    path.write_text(demo_config_text(name, eaccounting_url, vismanet_url), encoding="utf-8")
    os.environ[EACCOUNTING_SECRET_ENV] = EACCOUNTING_DEMO_CLIENT[1]
    os.environ[VISMANET_SECRET_ENV] = VISMANET_DEMO_CLIENT[1]
    return path
