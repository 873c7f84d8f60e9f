"""Read models: the parts of Visma.net's read DTOs the flows use (extra fields are kept)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class VismaModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields kept, nothing required."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class IdDescription(VismaModel):
    id: str | None = None
    description: str | None = None


class NumberName(VismaModel):
    number: str | None = None
    name: str | None = None


class Country(VismaModel):
    id: str | None = None
    name: str | None = None


class Address(VismaModel):
    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: Country | None = None


class ContactInfo(VismaModel):
    contact_id: int | None = None
    name: str | None = None
    attention: str | None = None
    email: str | None = None
    phone1: str | None = None


class Customer(VismaModel):
    internal_id: int | None = None
    number: str
    name: str | None = None
    status: str | None = None
    main_address: Address | None = None
    main_contact: ContactInfo | None = None
    customer_class: IdDescription | None = None
    credit_terms: IdDescription | None = None
    currency_id: str | None = None
    vat_registration_id: str | None = None
    corporate_id: str | None = None
    vat_zone: IdDescription | None = None
    created_date_time: datetime | None = None
    last_modified_date_time: datetime | None = None

    @property
    def email(self) -> str | None:
        return self.main_contact.email if self.main_contact else None


class Contact(VismaModel):
    contact_id: int
    display_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone1: str | None = None
    business_account: str | None = None
    active: bool | None = None
    last_modified_date_time: datetime | None = None


class AttributeValue(VismaModel):
    id: str
    value: str | None = None
    description: str | None = None


class WarehouseDetail(VismaModel):
    warehouse: str
    is_default: bool | None = None
    quantity_on_hand: Decimal | None = None
    available: Decimal | None = None
    available_for_shipment: Decimal | None = None
    last_modified_date_time: datetime | None = None


class CrossReference(VismaModel):
    alternate_type: str | None = None
    alternate_id: str | None = Field(default=None, alias="alternateID")


class InventoryItem(VismaModel):
    inventory_id: int | None = None
    inventory_number: str
    status: str | None = None
    type: str | None = None
    description: str | None = None
    body: str | None = None
    item_class: IdDescription | None = None
    vat_code: IdDescription | None = None
    default_price: Decimal | None = None
    base_unit: str | None = None
    sales_unit: str | None = None
    stock_item: bool | None = None
    attributes: list[AttributeValue] = Field(default_factory=list)
    warehouse_details: list[WarehouseDetail] = Field(default_factory=list)
    cross_references: list[CrossReference] = Field(default_factory=list)
    default_warehouse: IdDescription | None = None
    timestamp: str | None = None
    last_modified_date_time: datetime | None = None

    @property
    def ean(self) -> str | None:
        """The barcode cross-reference (EAN/GTIN), if the item has one."""
        return next(
            (x.alternate_id for x in self.cross_references if x.alternate_type == "Barcode"), None
        )


class NumberDescription(VismaModel):
    number: str | None = None
    description: str | None = None


class InventorySummary(VismaModel):
    inventory: NumberDescription | None = None
    warehouse: IdDescription | None = None
    on_hand: Decimal | None = None
    available: Decimal | None = None
    available_for_shipment: Decimal | None = None
    so_booked: Decimal | None = None


class SalesOrderLine(VismaModel):
    line_nbr: int | None = None
    inventory: NumberDescription | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    ext_price: Decimal | None = None


class SalesOrder(VismaModel):
    order_type: str
    order_no: str
    status: str | None = None
    hold: bool | None = None
    customer: NumberName | None = None
    customer_order: str | None = None
    customer_ref_no: str | None = None
    currency: str | None = None
    order_total: Decimal | None = None
    tax_total: Decimal | None = None
    branch_number: NumberName | None = None
    lines: list[SalesOrderLine] = Field(default_factory=list)
    last_modified_date_time: datetime | None = None


class CustomerInvoice(VismaModel):
    reference_number: str
    document_type: str | None = None
    status: str | None = None
    customer: NumberName | None = None
    external_reference: str | None = None
    customer_ref_number: str | None = None
    amount: Decimal | None = None
    vat_total: Decimal | None = None
    currency_id: str | None = None
    last_modified_date_time: datetime | None = None


class JournalTransactionLine(VismaModel):
    line_number: int | None = None
    account_number: str | None = None
    debit_amount: Decimal | None = None
    credit_amount: Decimal | None = None
    reference_number: str | None = None
    transaction_description: str | None = None


class JournalTransaction(VismaModel):
    batch_number: str
    status: str | None = None
    module: str | None = None
    description: str | None = None
    debit_total: Decimal | None = None
    credit_total: Decimal | None = None
    journal_transaction_lines: list[JournalTransactionLine] = Field(default_factory=list)


class Branch(VismaModel):
    branch_id: int | None = None
    number: str
    name: str | None = None
    is_main_branch: bool | None = None
    is_active: bool | None = None


class Warehouse(VismaModel):
    warehouse_id: str = Field(alias="warehouseID")
    description: str | None = None
    active: bool | None = None
    branch: NumberName | None = None


class VatCategory(VismaModel):
    vat_category_id: str
    description: str | None = None
    active: bool | None = None


class CreditTerm(VismaModel):
    terms_id: str
    description: str | None = None
    due_day1: int | None = None


class Carrier(VismaModel):
    carrier_id: str
    carrier_description: str | None = None


class PaymentMethod(VismaModel):
    payment_method_id: str = Field(alias="paymentMethodID")
    description: str | None = None
    active: bool | None = None


class SalesOrderType(VismaModel):
    order_type: str
    description: str | None = None
    active: bool | None = None
    behavior: str | None = None
