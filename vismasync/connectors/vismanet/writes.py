"""Write models: the plain (unwrapped) form of the ``*UpdateDto`` bodies the flows send.

``payload()`` gives camelCase JSON with absent fields dropped; the transport wraps it in
``{"value": ...}`` (see :mod:`wrappers`). Amounts go out as JSON numbers, dates offset-less.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

Amount = Annotated[Decimal, PlainSerializer(float, return_type=float)]
DocDate = Annotated[
    date | datetime,
    PlainSerializer(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S"), return_type=str),
]
Operation = Literal["Insert", "Update", "Delete"]


class WriteModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def payload(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class AddressWrite(WriteModel):
    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country_id: str | None = None


class ContactInfoWrite(WriteModel):
    name: str | None = None
    attention: str | None = None
    email: str | None = None
    phone1: str | None = None


class AttributeLineWrite(WriteModel):
    attribute_id: str
    attribute_value: str


class CustomerWrite(WriteModel):
    number: str | None = None
    name: str | None = None
    status: str | None = None
    currency_id: str | None = None
    customer_class_id: str | None = None
    credit_terms_id: str | None = None
    vat_zone_id: str | None = None
    vat_registration_id: str | None = None
    corporate_id: str | None = None
    main_address: AddressWrite | None = None
    main_contact: ContactInfoWrite | None = None
    invoice_address: AddressWrite | None = None
    invoice_contact: ContactInfoWrite | None = None
    delivery_address: AddressWrite | None = None
    delivery_contact: ContactInfoWrite | None = None
    attribute_lines: list[AttributeLineWrite] | None = None


class ContactWrite(WriteModel):
    first_name: str | None = None
    last_name: str
    business_account: str | None = None
    email: str | None = None
    phone1: str | None = None
    active: bool | None = None


class InventoryWrite(WriteModel):
    inventory_number: str | None = None
    description: str | None = None
    body: str | None = None
    item_class: str | None = None
    type: str | None = None
    status: str | None = None
    vat_code: str | None = None
    default_price: Amount | None = None
    base_unit: str | None = None
    sales_unit: str | None = None
    default_warehouse: str | None = None
    attribute_lines: list[AttributeLineWrite] | None = None


class SalesOrderAddressWrite(AddressWrite):
    override_address: bool | None = True


class SalesOrderContactWrite(ContactInfoWrite):
    override_contact: bool | None = True


class SalesOrderLineWrite(WriteModel):
    operation: Operation = "Insert"
    inventory_number: str
    quantity: Amount
    unit_price: Amount | None = None
    discount_percent: Amount | None = None
    discount_amount: Amount | None = None
    tax_category: str | None = None
    warehouse: str | None = None
    branch_number: str | None = None
    line_description: str | None = None
    uom: str | None = None


class SalesOrderWrite(WriteModel):
    order_type: str = "SO"
    order_number: str | None = None
    override_number_series: bool | None = None
    hold: bool | None = None
    date: DocDate | None = None
    customer: str
    customer_order: str | None = None
    customer_ref_no: str | None = None
    currency: str | None = None
    description: str | None = None
    branch_number: str | None = None
    note: str | None = None
    ship_via: str | None = None
    payment_method: str | None = None
    terms: str | None = None
    so_billing_address: SalesOrderAddressWrite | None = None
    so_billing_contact: SalesOrderContactWrite | None = None
    so_shipping_address: SalesOrderAddressWrite | None = None
    so_shipping_contact: SalesOrderContactWrite | None = None
    lines: list[SalesOrderLineWrite]


class InvoiceLineWrite(WriteModel):
    operation: Operation = "Insert"
    inventory_number: str | None = None
    description: str | None = None
    quantity: Amount
    unit_price_in_currency: Amount | None = None
    discount_percent: Amount | None = None
    discount_amount_in_currency: Amount | None = None
    vat_code_id: str | None = None
    account_number: str | None = None
    branch_number: str | None = None


class CustomerInvoiceWrite(WriteModel):
    customer_number: str
    reference_number: str | None = None
    override_number_series: bool | None = None
    document_date: DocDate | None = None
    document_due_date: DocDate | None = None
    external_reference: str | None = None
    customer_ref_number: str | None = None
    currency_id: str | None = None
    credit_terms_id: str | None = None
    payment_method_id: str | None = None
    branch_number: str | None = None
    hold: bool | None = None
    invoice_text: str | None = None
    invoice_lines: list[InvoiceLineWrite]


class JournalLineWrite(WriteModel):
    operation: Operation = "Insert"
    account_number: str
    debit_amount_in_currency: Amount | None = None
    credit_amount_in_currency: Amount | None = None
    transaction_description: str | None = None
    reference_number: str | None = None
    vat_code_id: str | None = None
    branch: str | None = None


class JournalTransactionWrite(WriteModel):
    # With override_number_series, batch_number is ours: the batch can be found by it (one GET).
    batch_number: str | None = None
    override_number_series: bool | None = None
    transaction_date: DocDate | None = None
    description: str | None = None
    branch: str | None = None
    hold: bool | None = None
    currency_id: str | None = None
    journal_transaction_lines: list[JournalLineWrite]
