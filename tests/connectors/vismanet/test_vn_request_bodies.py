"""What the connector sends, validated against the spec's request schemas (closed objects)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from vismanet_openapi import errors, request_validator
from vn_connector_helpers import Recorder

from vismasync.connectors.vismanet import VismaNetClient
from vismasync.connectors.vismanet.wrappers import wrap
from vismasync.connectors.vismanet.writes import (
    AddressWrite,
    AttributeLineWrite,
    ContactInfoWrite,
    ContactWrite,
    CustomerInvoiceWrite,
    CustomerWrite,
    InventoryWrite,
    InvoiceLineWrite,
    JournalLineWrite,
    JournalTransactionWrite,
    SalesOrderAddressWrite,
    SalesOrderLineWrite,
    SalesOrderWrite,
)


def test_every_write_body_matches_its_request_schema(
    client: VismaNetClient, recorder: Recorder
) -> None:
    address = AddressWrite(address_line1="Gate 1", postal_code="0150", city="Oslo", country_id="NO")
    number = client.create_customer(
        CustomerWrite(
            name="Schema AS", currency_id="NOK", credit_terms_id="30", vat_zone_id="02",
            main_address=address, main_contact=ContactInfoWrite(email="s@schema.no", name="S"),
            attribute_lines=[AttributeLineWrite(attribute_id="BRAND", attribute_value="X")],
        )
    )  # fmt: skip
    client.update_customer(number, CustomerWrite(status="Active"))
    client.create_contact(ContactWrite(last_name="Dahl", business_account=number, email="d@x.no"))
    client.create_inventory(
        InventoryWrite(
            inventory_number="NEW-9",
            item_class="GOODS",
            vat_code="1",
            default_price=Decimal("12.50"),
            default_warehouse="MAIN",
        )
    )
    client.update_inventory("NEW-9", InventoryWrite(inventory_number="NEW-9", description="D"))
    client.create_sales_order(
        SalesOrderWrite(
            customer=number, date=date(2026, 1, 15), currency="NOK", branch_number="2",
            ship_via="DHL", payment_method="CARD", terms="30",
            so_shipping_address=SalesOrderAddressWrite(city="Bergen", country_id="NO"),
            lines=[SalesOrderLineWrite(inventory_number="SKU-0001", quantity=Decimal(1),
                                       unit_price=Decimal("99.90"), tax_category="1",
                                       warehouse="NORTH", branch_number="2")],
        ),
        key="EA-9",
    )  # fmt: skip
    client.create_customer_invoice(
        CustomerInvoiceWrite(
            customer_number=number,
            external_reference="EA-9",
            document_date=date(2026, 1, 15),
            invoice_lines=[InvoiceLineWrite(inventory_number="SKU-0002", quantity=Decimal(1))],
        )
    )
    client.create_journal_transaction(
        JournalTransactionWrite(journal_transaction_lines=[
            JournalLineWrite(account_number="1510", debit_amount_in_currency=Decimal(1)),
            JournalLineWrite(account_number="3001", credit_amount_in_currency=Decimal(1))])
    )  # fmt: skip
    checks = [
        ("POST", "/v1/customer", "/v1/customer"),
        ("PUT", "/v1/customer/{customerCd}", f"/v1/customer/{number}"),
        ("POST", "/v1/contact", "/v1/contact"),
        ("POST", "/v1/inventory", "/v1/inventory"),
        ("PUT", "/v1/inventory/{inventoryNumber}", "/v1/inventory/NEW-9"),
        ("POST", "/v2/salesorder", "/v2/salesorder"),
        ("POST", "/v2/customerinvoice", "/v2/customerinvoice"),
        ("POST", "/v2/journaltransaction", "/v2/journaltransaction"),
    ]
    for method, spec_path, url_end in checks:
        bodies = recorder.bodies(method, url_end)
        assert len(bodies) == 1, (method, url_end)
        assert not errors(request_validator(method, spec_path), bodies[0]), (method, url_end)


def test_wrap_puts_values_lines_and_nested_objects_where_the_spec_wants_them() -> None:
    body = wrap(
        {
            "name": "A",
            "mainAddress": {"city": "Oslo"},
            "lines": [{"operation": "Insert", "quantity": 2}],
            "rotRutDetails": {"type": "Rot"},
        }
    )
    assert body == {
        "name": {"value": "A"},
        "mainAddress": {"value": {"city": {"value": "Oslo"}}},
        "lines": [{"operation": "Insert", "quantity": {"value": 2}}],
        "rotRutDetails": {"type": {"value": "Rot"}},
    }
