"""The integration configuration: one YAML file per company pair, validated by these models.

Every model forbids unknown keys, so a misspelt setting is an error naming its key rather than
a silently ignored line. ``docs/example-integration.yaml`` documents every key.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from vismasync.config.secrets import SecretRef
from vismasync.mappings.articles import ARTICLE_FIELDS
from vismasync.mappings.data_mapper import check_expression
from vismasync.mappings.value_maps import ValueMap
from vismasync.mappings.write_targets import (
    CUSTOMER_INVOICE,
    EA_ARTICLE,
    EA_CUSTOMER,
    SALES_ORDER,
    target_problem,
)

FlowName = Literal["sales_orders", "customers", "products", "stock"]
FLOW_NAMES: tuple[FlowName, ...] = ("sales_orders", "customers", "products", "stock")


class StrictModel(BaseModel):
    # Numbers become strings where a string is expected: tenant ids, branch and account numbers
    # are codes, and YAML reads unquoted digits as numbers.
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class EAccountingConnection(StrictModel):
    api_url: HttpUrl = HttpUrl("https://eaccountingapi.vismaonline.com/v2")
    identity_url: HttpUrl = HttpUrl("https://identity.vismaonline.com")
    client_id: Annotated[str, Field(min_length=1)]
    client_secret: SecretRef
    redirect_uri: HttpUrl
    scopes: list[str] = ["ea:api", "ea:sales", "ea:accounting", "offline_access"]

    @field_validator("scopes")
    @classmethod
    def _needs_api_scopes(cls, scopes: list[str]) -> list[str]:
        missing = [scope for scope in ("ea:api", "offline_access") if scope not in scopes]
        if missing:
            raise ValueError(f"must include {', '.join(missing)} (required by eAccounting)")
        return scopes


class VismaNetConnection(StrictModel):
    api_url: HttpUrl = HttpUrl("https://api.finance.visma.net")
    # The SalesOrders V3 service (its own host); paths /api/v3/... are appended.
    salesorders_url: HttpUrl = HttpUrl("https://salesorder.visma.net")
    token_url: HttpUrl = HttpUrl("https://connect.visma.com/connect/token")
    client_id: Annotated[str, Field(min_length=1)]
    client_secret: SecretRef
    tenant_id: Annotated[str, Field(min_length=1)]
    scopes: list[str] = [
        "vismanet_erp_service_api:read",
        "vismanet_erp_service_api:create",
        "vismanet_erp_service_api:update",
        "visma.net.erp.salesorder:read",
        "visma.net.erp.salesorder:write",
    ]
    # Creates sent to Visma.net at once (sales orders or invoices, journal transactions): the
    # API answers in hundreds of milliseconds, so one at a time leaves the budget unspent. All
    # share the client's hourly budget; 1 writes one at a time.
    write_concurrency: Annotated[int, Field(ge=1, le=16)] = 4


class Schedule(StrictModel):
    """When a flow runs: a cron expression or a fixed interval (exactly one)."""

    cron: str | None = None
    interval_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] | None = None
    timezone: str = "UTC"

    @model_validator(mode="after")
    def _exactly_one(self) -> Schedule:
        if (self.cron is None) == (self.interval_minutes is None):
            raise ValueError("set exactly one of 'cron' or 'interval_minutes'")
        if self.cron is not None and len(self.cron.split()) != 5:
            raise ValueError("cron must have five fields, e.g. '*/15 * * * *'")
        return self


class FieldMapping(StrictModel):
    """A data-mapper rule: set ``target`` from a source path or a sandboxed expression."""

    target: Annotated[str, Field(min_length=1)]
    source: str | None = None
    expression: str | None = None
    # A rule whose source has no value leaves the target as it is, unless it says to clear it.
    clear: bool = False

    @model_validator(mode="after")
    def _one_origin(self) -> FieldMapping:
        if (self.source is None) == (self.expression is None):
            raise ValueError("set exactly one of 'source' or 'expression'")
        if self.expression is not None:
            check_expression(self.expression)
        return self


class FlowSettings(StrictModel):
    enabled: bool = True
    schedule: Schedule = Schedule(interval_minutes=15)
    batch_size: Annotated[int, Field(ge=1, le=1000)] = 100
    # Reads start this long before the watermark, catching records committed late at the source.
    overlap_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = 10
    field_mappings: list[FieldMapping] = []

    def write_target(self) -> str | None:
        """The write model this flow's field mappings set (None: the flow takes none)."""
        return None

    @model_validator(mode="after")
    def _known_targets(self) -> FlowSettings:
        kind = self.write_target()
        for index, rule in enumerate(self.field_mappings):
            problem = (
                target_problem(kind, rule.target)
                if kind is not None
                else "this flow writes no fields a mapping could set"
            )
            if problem is not None:
                raise ValueError(f"field_mappings[{index}].target: {problem}")
        return self


class BranchSettings(StrictModel):
    default: Annotated[str, Field(min_length=1)]
    by_country: dict[str, str] = {}

    def for_country(self, country_code: str | None) -> str:
        return self.by_country.get(country_code or "", self.default)


class DefaultDebtor(StrictModel):
    customer_number: Annotated[str, Field(min_length=1)]
    # force: every order goes to this debtor; fallback: only orders whose customer is incomplete
    mode: Literal["force", "fallback"] = "fallback"


class ShippingLine(StrictModel):
    """eAccounting rows whose article is one of ``source_articles`` carry shipping costs; they
    become a separate Visma.net line with this item, description and tax."""

    source_articles: Annotated[list[str], Field(min_length=1)]
    sku: Annotated[str, Field(min_length=1)]
    description: str = "Shipping"
    tax_code: str | None = None


class FinancialMutation(StrictModel):
    enabled: bool = False
    debit_account: str | None = None
    credit_account: str | None = None
    description: str = "Payment of eAccounting invoice {invoice_number}"

    @model_validator(mode="after")
    def _accounts_when_enabled(self) -> FinancialMutation:
        if self.enabled and not (self.debit_account and self.credit_account):
            raise ValueError("'enabled: true' needs both 'debit_account' and 'credit_account'")
        return self


class StockCheck(StrictModel):
    """Optional: check Visma.net stock before an order is sent."""

    enabled: bool = False
    # hold_back: an order short of stock waits (failure queue, retried every run) until
    # Visma.net has it; send_on_hold: it is sent, on hold.
    action: Literal["hold_back", "send_on_hold"] = "hold_back"
    # The warehouse whose stock counts (default: flows.sales_orders.warehouse).
    warehouse: str | None = None
    quantity: Literal["available", "on_hand"] = "available"


OrderStatus = Literal["Draft", "Ongoing", "Shipped", "Invoiced", "Paid"]


class SalesOrderValueMaps(StrictModel):
    tax_code: ValueMap = ValueMap()
    tax_code_by_country: ValueMap = ValueMap()
    payment_terms: ValueMap = ValueMap()
    payment_methods: ValueMap = ValueMap()
    shipping_methods: ValueMap = ValueMap()
    revenue_account_by_country: ValueMap = ValueMap()
    order_status: ValueMap = ValueMap()


class SalesOrdersSettings(FlowSettings):
    source_document: Literal["order", "invoice"] = "order"
    # eAccounting statuses to send; "Paid" selects documents whose invoice is fully paid.
    statuses: Annotated[list[OrderStatus], Field(min_length=1)] = ["Shipped"]
    target_document: Literal["sales_order", "customer_invoice"] = "sales_order"
    order_type: Annotated[str, Field(min_length=1, max_length=2)] = "SO"
    # v3: SalesOrders V3 (salesorder.visma.net); v2: the monolith's /v2/salesorder, retired
    # by Visma on 2026-03-31 and throttled since.
    sales_order_api: Literal["v3", "v2"] = "v3"
    # The key an order carries (V3): its orderId (manually numbered order types), the
    # customer reference (automatically numbered), or auto: by the numbering of order_type.
    order_key: Literal["auto", "order_id", "customer_reference"] = "auto"
    # The numbering sequence of order_type (Visma.net's order type screen names it; the API's
    # order type does not), read by order_key auto and by `vismasync check`.
    order_numbering_id: Annotated[str, Field(min_length=1, max_length=10)] = "SOORDER"
    hold: bool = False
    branch: BranchSettings = BranchSettings(default="1")
    warehouse: str | None = None
    default_debtor: DefaultDebtor | None = None
    # percent: send line discounts as percentages; amount: as amounts (quantity x price x rate)
    discount_mode: Literal["percent", "amount"] = "percent"
    shipping: ShippingLine | None = None
    financial_mutation: FinancialMutation = FinancialMutation()
    stock_check: StockCheck = StockCheck()
    value_maps: SalesOrderValueMaps = SalesOrderValueMaps()

    def write_target(self) -> str | None:
        return CUSTOMER_INVOICE if self.target_document == "customer_invoice" else SALES_ORDER

    @model_validator(mode="after")
    def _statuses_fit_the_source(self) -> SalesOrdersSettings:
        if self.source_document == "invoice":
            wrong = [s for s in self.statuses if s not in ("Invoiced", "Paid")]
            if wrong:
                raise ValueError(
                    f"statuses {wrong} do not apply to invoices: use Invoiced (every invoice) "
                    "or Paid (fully paid invoices)"
                )
        elif "Paid" in self.statuses and len(self.statuses) > 1:
            raise ValueError(
                "'Paid' selects orders through their paid invoices and cannot be combined with "
                "other order statuses"
            )
        return self

    @model_validator(mode="after")
    def _settings_that_can_take_effect(self) -> SalesOrdersSettings:
        """A setting that can never apply with the chosen source, statuses or target is an
        error naming both keys, instead of a silently ignored line."""
        if (
            self.financial_mutation.enabled
            and self.source_document == "order"
            and "Paid" not in self.statuses
        ):
            raise ValueError(
                "financial_mutation.enabled needs paid documents, but statuses "
                f"{self.statuses} read orders without their invoice's payment: set statuses "
                "to [Paid] (orders through their paid invoices) or source_document: invoice"
            )
        if self.stock_check.enabled and not (self.stock_check.warehouse or self.warehouse):
            raise ValueError(
                "stock_check.enabled needs a warehouse whose stock counts: set "
                "stock_check.warehouse or warehouse"
            )
        if self.target_document == "customer_invoice":
            if self.warehouse is not None:
                raise ValueError(
                    "warehouse has no effect with target_document: customer_invoice (invoice "
                    "lines have no warehouse): remove it or send sales orders"
                )
            shipping = self.value_maps.shipping_methods
            if shipping.table or shipping.default is not None:
                raise ValueError(
                    "value_maps.shipping_methods has no effect with target_document: "
                    "customer_invoice (invoices have no ship-via): remove it or send sales orders"
                )
        return self


class CustomerValueMaps(StrictModel):
    payment_terms: ValueMap = ValueMap()
    revenue_account_by_country: ValueMap = ValueMap()
    tax_code_by_country: ValueMap = ValueMap()


class CustomerDefaults(StrictModel):
    """Values for eAccounting's required customer fields when Visma.net has none."""

    # An eAccounting terms-of-payment id or name (e.g. "30 dagar").
    terms_of_payment_id: str | None = None
    invoice_city: str | None = None
    invoice_postal_code: str | None = None


class CustomersSettings(FlowSettings):
    def write_target(self) -> str | None:
        return EA_CUSTOMER

    defaults: CustomerDefaults = CustomerDefaults()
    value_maps: CustomerValueMaps = CustomerValueMaps()


class ProductFilter(StrictModel):
    """Which Visma.net items sync; every given criterion must hold."""

    statuses: list[str] = []
    item_classes: list[str] = []
    types: list[str] = []
    attributes: dict[str, str] = {}
    expression: str | None = None

    @field_validator("expression")
    @classmethod
    def _valid_expression(cls, expression: str | None) -> str | None:
        return None if expression is None else check_expression(expression)


class ProductValueMaps(StrictModel):
    # Visma.net unit -> eAccounting unit code, name or id.
    unit: ValueMap = ValueMap()
    # Visma.net VAT category -> eAccounting account coding name or id (goods).
    account_coding: ValueMap = ValueMap()
    # The same for service items; categories it does not map fall back to account_coding.
    service_account_coding: ValueMap = ValueMap()


class ProductsSettings(FlowSettings):
    filter: ProductFilter = ProductFilter()
    # Article fields set when the article is created and never overwritten afterwards.
    create_only_fields: list[str] = []
    value_maps: ProductValueMaps = ProductValueMaps()

    def write_target(self) -> str | None:
        return EA_ARTICLE

    @model_validator(mode="after")
    def _known_create_only_fields(self) -> ProductsSettings:
        known = {*ARTICLE_FIELDS, *(rule.target for rule in self.field_mappings)}
        unknown = [name for name in self.create_only_fields if name not in known]
        if unknown:
            raise ValueError(
                f"create_only_fields {unknown} are not article fields this flow writes; use "
                f"{', '.join(sorted(known))}"
            )
        return self


class StockSettings(FlowSettings):
    # Empty: all warehouses.
    warehouses: list[str] = []
    # on_hand: what is on the shelf; available: on hand minus what open orders have booked.
    quantity: Literal["on_hand", "available"] = "available"


class Flows(StrictModel):
    sales_orders: SalesOrdersSettings = SalesOrdersSettings()
    customers: CustomersSettings = CustomersSettings(enabled=False)
    products: ProductsSettings = ProductsSettings(enabled=False)
    stock: StockSettings = StockSettings(enabled=False)

    def enabled(self) -> list[FlowName]:
        return [name for name in FLOW_NAMES if getattr(self, name).enabled]


class AlertTarget(StrictModel):
    """Where failure notifications go (a Prefect notification block is created for it)."""

    kind: Literal["slack", "teams", "webhook"]
    # Webhook URLs carry their own credentials: always a secret reference.
    url: SecretRef
    # Allow a webhook on a private network address (an internal relay, a local receiver).
    allow_private_network: bool = False


class IntegrationConfig(StrictModel):
    """One integration: an eAccounting company paired with a Visma.net company."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
    eaccounting: EAccountingConnection
    vismanet: VismaNetConnection
    flows: Flows = Flows()
    alerts: list[AlertTarget] = []
