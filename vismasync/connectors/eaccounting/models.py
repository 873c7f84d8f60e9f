"""Typed views of the eAccounting resources the flows use.

Field names are the API's own PascalCase names (one spelling from wire to code, easy to check
against the spec). Every model keeps unknown properties (``extra="allow"``), so a model read
from the API can be written back whole: PUT replaces the entire object. Money is ``Decimal``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict


class EAModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def to_payload(self) -> dict[str, Any]:
        """The whole object, including properties this model does not name, for a PUT."""
        return self.model_dump(mode="python")


class Customer(EAModel):
    Id: str | None = None
    CustomerNumber: str | None = None
    Name: str
    IsPrivatePerson: bool
    IsActive: bool = True
    EmailAddress: str | None = None
    ContactPersonName: str | None = None
    ContactPersonEmail: str | None = None
    ContactPersonPhone: str | None = None
    Telephone: str | None = None
    MobilePhone: str | None = None
    InvoiceAddress1: str | None = None
    InvoiceAddress2: str | None = None
    InvoicePostalCode: str | None = None
    InvoiceCity: str | None = None
    InvoiceCountryCode: str | None = None
    DeliveryCustomerName: str | None = None
    DeliveryAddress1: str | None = None
    DeliveryAddress2: str | None = None
    DeliveryPostalCode: str | None = None
    DeliveryCity: str | None = None
    DeliveryCountryCode: str | None = None
    CurrencyCode: str | None = None
    TermsOfPaymentId: str | None = None
    VatNumber: str | None = None
    CorporateIdentityNumber: str | None = None
    ChangedUtc: datetime | None = None


class Barcode(EAModel):
    Barcode: str | None = None
    BarcodeType: int | None = None


class Article(EAModel):
    Id: str | None = None
    Number: str
    Name: str
    NameEnglish: str | None = None
    IsActive: bool = True
    CodingId: str | None = None
    UnitId: str | None = None
    UnitName: str | None = None
    UnitAbbreviation: str | None = None
    NetPrice: Decimal | None = None
    GrossPrice: Decimal | None = None
    PurchasePrice: Decimal | None = None
    StockBalance: Decimal | None = None
    StockBalanceReserved: Decimal | None = None
    StockBalanceAvailable: Decimal | None = None
    IsServiceArticle: bool | None = None
    Barcodes: list[Barcode] | None = None
    Note: str | None = None
    CreatedUtc: datetime | None = None
    ChangedUtc: datetime | None = None


class OrderRow(EAModel):
    Id: str | None = None
    LineNumber: int
    ArticleId: str | None = None
    ArticleNumber: str | None = None
    Text: str | None = None
    Quantity: Decimal | None = None
    DeliveredQuantity: Decimal | None = None
    UnitPrice: Decimal | None = None
    DiscountPercentage: Decimal | None = None
    Amount: Decimal | None = None
    IsTextRow: bool
    IsServiceArticle: bool | None = None
    UnitId: str | None = None


class Order(EAModel):
    Id: str
    Number: int | None = None
    Status: int  # 1 Draft, 2 Ongoing, 3 Shipped, 4 Invoiced
    CustomerId: str
    CustomerNumber: str | None = None
    CustomerName: str | None = None
    CustomerIsPrivatePerson: bool | None = None
    CurrencyCode: str
    OrderDate: datetime
    DeliveryDate: datetime | None = None
    ShippedDateTime: datetime | None = None
    Amount: Decimal | None = None
    VatAmount: Decimal | None = None
    IncludesVat: bool | None = None
    YourReference: str | None = None
    OurReference: str | None = None
    BuyersOrderReference: str | None = None
    DeliveryMethodCode: str | None = None
    DeliveryMethodName: str | None = None
    DeliveryTermCode: str | None = None
    InvoiceCountryCode: str | None = None
    DeliveryCountryCode: str | None = None
    Rows: list[OrderRow] = []
    CreatedUtc: datetime | None = None
    ModifiedUtc: datetime | None = None


class CustomerInvoiceRow(EAModel):
    Id: str | None = None
    LineNumber: int | None = None
    ArticleId: str | None = None
    ArticleNumber: str | None = None
    Text: str | None = None
    Quantity: Decimal | None = None
    UnitPrice: Decimal | None = None
    DiscountPercentage: Decimal | None = None
    AmountNoVat: Decimal | None = None
    PercentVat: Decimal | None = None
    IsTextRow: bool | None = None


class CustomerInvoice(EAModel):
    Id: str
    InvoiceNumber: int | None = None
    CustomerId: str
    CustomerNumber: str | None = None
    CustomerName: str | None = None
    CustomerEmail: str | None = None
    CurrencyCode: str | None = None
    InvoiceDate: datetime | None = None
    DueDate: datetime | None = None
    PaymentStatus: int | None = None  # 0 Paid, 1 Unpaid, 2 Overdue
    PaymentDate: datetime | None = None
    TotalAmount: Decimal | None = None
    TotalVatAmount: Decimal | None = None
    TotalAmountInvoiceCurrency: Decimal | None = None
    RemainingAmountInvoiceCurrency: Decimal | None = None
    CreatedFromOrderId: str | None = None
    Rows: list[CustomerInvoiceRow] = []
    CreatedUtc: datetime | None = None
    ModifiedUtc: datetime | None = None


class Unit(EAModel):
    Id: str
    Code: str | None = None
    Name: str | None = None
    Abbreviation: str | None = None


class VatCode(EAModel):
    Id: str
    Code: str | None = None
    Description: str | None = None
    VatRate: Decimal | None = None


class Country(EAModel):
    Code: str | None = None
    Name: str | None = None
    IsEuMember: bool | None = None


class TermsOfPayment(EAModel):
    Id: str
    Name: str | None = None
    NumberOfDays: int | None = None
    TermsOfPaymentTypeId: int | None = None


class DeliveryMethod(EAModel):
    Id: str
    Code: str | None = None
    Name: str


class ArticleAccountCoding(EAModel):
    Id: str
    Name: str | None = None
    Type: str | None = None
    VatRate: str | None = None
    VatRatePercent: Decimal | None = None
    IsActive: bool | None = None


class CompanySettings(EAModel):
    Name: str | None = None
    CountryCode: str | None = None
    CurrencyCode: str | None = None
    ShowPricesExclVatPC: bool | None = None
    ActivatedModules: list[str] | None = None


class PageMeta(EAModel):
    CurrentPage: int
    PageSize: int
    TotalNumberOfPages: int
    TotalNumberOfResults: int
    ServerTimeUtc: datetime
