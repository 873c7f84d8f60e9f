"""Checks of an integration's connections and permissions, each with a message that says what
to do. Used by `vismasync check` and by `vismasync init` before it writes a configuration.

The checks build their own clients (never the per-process cache of the sync tasks), so a fixed
secret or setting is seen at once. Nothing here writes to either system; the one state change is
the eAccounting refresh check, which rotates the stored token pair the way every sync does.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx

from vismasync.config.model import FlowName, IntegrationConfig, SalesOrdersSettings
from vismasync.config.secrets import SecretRef, SecretResolutionError
from vismasync.connectors.eaccounting.client import EAccountingClient
from vismasync.connectors.http import ApiError, ErrorClass
from vismasync.connectors.vismanet.client import VismaNetClient
from vismasync.engine.clients import build_eaccounting_client, build_vismanet_client
from vismasync.flows.catalog import BY_FLOW
from vismasync.mappings.value_maps import ValueMap

EACCOUNTING = "eaccounting"
VN_SCOPE = "vismanet_erp_service_api:"
V3_SCOPE = "visma.net.erp.salesorder:"
# eAccounting lists each flow reads (GET with one record a page), by flow.
EA_READS: dict[FlowName, tuple[str, ...]] = {
    flow: spec.eaccounting_endpoints for flow, spec in BY_FLOW.items()
}


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    message: str


def prefect_api_reachable() -> bool:
    """A Prefect API is configured and answers (needed for prefect-secret: references)."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        return False
    try:
        return httpx.get(f"{url.rstrip('/')}/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def resolve_secret(ref: SecretRef) -> str:
    """The secret's value. Raises SecretResolutionError with what to do (never the value)."""
    if ref.kind == "prefect-secret" and not prefect_api_reachable():
        raise SecretResolutionError(
            f"Secret {ref} needs a Prefect API: set PREFECT_API_URL to your Prefect server "
            "(or refer to an environment variable instead)."
        )
    return ref.resolve().get_secret_value()


def eaccounting_client(config: IntegrationConfig, secret: str) -> EAccountingClient:
    """A fresh client: a secret fixed since the last check is seen at once."""
    return build_eaccounting_client(config, secret)


def vismanet_client(config: IntegrationConfig, secret: str) -> VismaNetClient:
    return build_vismanet_client(config, secret)


def _fail(name: str, message: str) -> CheckResult:
    return CheckResult(name, False, message)


def _unreachable(exc: ApiError, what: str) -> str | None:
    if exc.error_class in (ErrorClass.TRANSIENT, ErrorClass.RATE_LIMITED):
        return f"{what} did not answer usefully ({exc}); check the URL and try again later."
    return None


# ----- secrets -----------------------------------------------------------------------------
def check_secrets(config: IntegrationConfig) -> tuple[list[CheckResult], dict[str, str]]:
    """Results, and the resolved secrets by system (only those that resolved)."""
    results, secrets = [], {}
    for system, ref in (
        (EACCOUNTING, config.eaccounting.client_secret),
        ("vismanet", config.vismanet.client_secret),
    ):
        name = f"{system}.client_secret resolvable"
        try:
            secrets[system] = resolve_secret(ref)
        except SecretResolutionError as exc:
            results.append(_fail(name, str(exc)))
            continue
        results.append(CheckResult(name, True, f"{ref} is set"))
    return results, secrets


# ----- eAccounting -------------------------------------------------------------------------
def _authorize_hint(config: IntegrationConfig) -> str:
    return f"authorize again: `vismasync authorize --integration {config.name}`"


def check_eaccounting(config: IntegrationConfig, secret: str) -> list[CheckResult]:
    """Tokens stored and refreshable, scopes configured and granted for the enabled flows."""
    results = [_eaccounting_scopes_configured(config)]
    with eaccounting_client(config, secret) as client:
        stored = client.tokens.store.load()
        if stored is None:
            results.append(
                _fail(
                    "eAccounting authorized",
                    f"no eAccounting tokens are stored for {config.name!r}: "
                    f"{_authorize_hint(config).replace('again', 'once')}",
                )
            )
            return results
        results.append(CheckResult("eAccounting authorized", True, "tokens are stored"))
        try:
            client.tokens.store.rotate(stored.version, client.oauth.refresh)
        except ApiError as exc:
            results.append(_fail("eAccounting token refresh", _refresh_advice(config, exc)))
            return results
        results.append(CheckResult("eAccounting token refresh", True, "the refresh token works"))
        results.extend(_eaccounting_reads(config, client))
        try:
            results.extend(_eaccounting_references(config, client))
        except ApiError as exc:
            advice = _unreachable(exc, str(config.eaccounting.api_url))
            results.append(_fail("eAccounting reference data", advice or f"failed: {exc}"))
    return results


def nearest(value: str, known: list[str], n: int = 3) -> list[str]:
    """The valid values most like ``value`` (a misspelling's fix first), else the first few."""
    by_lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(value.lower(), list(by_lower), n=n, cutoff=0.5)
    return [by_lower[c] for c in close] or sorted(known)[:n]


def _values(value_map: ValueMap) -> list[tuple[str, str]]:
    """(setting suffix, target value) of every value a map can produce."""
    pairs = [(f".table.{key}", value) for key, value in value_map.table.items()]
    if value_map.default is not None:
        pairs.append((".default", value_map.default))
    return pairs


def _known(
    name: str, setting: str, value: str, table: dict[str, str], shown: list[str], what: str
) -> CheckResult:
    """``value`` names a record of ``table`` (keys lower-case: id, code or name)."""
    if value.strip().lower() in table:
        return CheckResult(name, True, f"{value} exists")
    close = ", ".join(nearest(value, shown)) or "none"
    return _fail(name, f"{setting} is {value!r}, which is not {what} (nearest: {close})")


def _names(records: list, *fields: str) -> list[str]:
    """Every name the records go by in ``fields`` (declared or extra), for suggestions."""
    found = []
    for record in records:
        for name in fields:
            value = getattr(record, name, None) or (record.model_extra or {}).get(name)
            if isinstance(value, str) and value.strip():
                found.append(value.strip())
    return list(dict.fromkeys(found))


def _eaccounting_references(
    config: IntegrationConfig, client: EAccountingClient
) -> Iterator[CheckResult]:
    """Every eAccounting value the enabled flows' settings name exists in the company."""
    from vismasync.tasks.reference_data import lookup_table

    enabled = config.flows.enabled()
    if "products" in enabled:
        units = client.list_units()
        unit_table = lookup_table(units, "Code", "Name", "Abbreviation")
        unit_names = _names(units, "Code", "Name")
        maps = config.flows.products.value_maps
        for suffix, value in _values(maps.unit):
            setting = f"flows.products.value_maps.unit{suffix}"
            yield _known(f"unit {value}", setting, value, unit_table, unit_names,
                         "an eAccounting unit")  # fmt: skip
        codings = client.list_article_account_codings()
        coding_table = lookup_table(codings, "Name", "NameEnglish")
        coding_names = _names(codings, "Name", "NameEnglish")
        for key in ("account_coding", "service_account_coding"):
            for suffix, value in _values(getattr(maps, key)):
                setting = f"flows.products.value_maps.{key}{suffix}"
                yield _known(f"account coding {value}", setting, value, coding_table,
                             coding_names, "an eAccounting article account coding")  # fmt: skip
    if "customers" in enabled:
        settings = config.flows.customers
        terms = client.list_terms_of_payments()
        terms_table = lookup_table(terms, "Name", "NameEnglish")
        terms_names = _names(terms, "Name", "NameEnglish")
        wanted = [(f"value_maps.payment_terms{suffix}", value)
                  for suffix, value in _values(settings.value_maps.payment_terms)]  # fmt: skip
        if settings.defaults.terms_of_payment_id:
            wanted.append(("defaults.terms_of_payment_id", settings.defaults.terms_of_payment_id))
        for suffix, value in wanted:
            yield _known(f"terms of payment {value}", f"flows.customers.{suffix}", value,
                         terms_table, terms_names, "an eAccounting terms of payment")  # fmt: skip


def _refresh_advice(config: IntegrationConfig, exc: ApiError) -> str:
    unreachable = _unreachable(exc, str(config.eaccounting.identity_url))
    if unreachable:
        return unreachable
    if exc.code == "invalid_client":
        return (
            f"eAccounting rejected the client id {config.eaccounting.client_id!r} or its secret: "
            f"check eaccounting.client_id and the secret behind eaccounting.client_secret "
            f"({config.eaccounting.client_secret})"
        )
    return f"the stored authorization was refused ({exc.message}): {_authorize_hint(config)}"


def _eaccounting_scopes_configured(config: IntegrationConfig) -> CheckResult:
    scopes = set(config.eaccounting.scopes)
    writers = [f for f in config.flows.enabled() if f != "sales_orders"]
    name = "eaccounting.scopes fit the enabled flows"
    if writers and "ea:sales" not in scopes:
        return _fail(
            name,
            f"the {', '.join(writers)} flow(s) write to eAccounting and need "
            f"the scope ea:sales: add it to eaccounting.scopes, then "
            f"{_authorize_hint(config)}",
        )
    if not scopes & {"ea:sales", "ea:sales_readonly"}:
        return _fail(
            name,
            "every flow reads eAccounting sales data: add ea:sales (or "
            f"ea:sales_readonly) to eaccounting.scopes, then "
            f"{_authorize_hint(config)}",
        )
    return CheckResult(name, True, " ".join(sorted(scopes)))


def _eaccounting_paths(config: IntegrationConfig) -> list[str]:
    paths = ["/companysettings"]
    enabled = config.flows.enabled()
    if "sales_orders" in enabled:
        settings = config.flows.sales_orders
        paths.append(
            "/customerinvoices"
            if settings.source_document == "invoice" or "Paid" in settings.statuses
            else "/orders"
        )
    for flow in enabled:
        paths.extend(EA_READS[flow])
    return list(dict.fromkeys(paths))


def _eaccounting_reads(config: IntegrationConfig, client: EAccountingClient) -> list[CheckResult]:
    results = []
    for path in _eaccounting_paths(config):
        name = f"eAccounting GET {path}"
        try:
            client.get_json(path, params=None if path == "/companysettings" else {"$pagesize": 1})
        except ApiError as exc:
            if exc.error_class == ErrorClass.CONFIG:
                results.append(
                    _fail(
                        name,
                        f"refused ({exc.message}): the authorization lacks a "
                        f"scope this needs; add it to eaccounting.scopes, then "
                        f"{_authorize_hint(config)}",
                    )
                )
            else:
                advice = _unreachable(exc, str(config.eaccounting.api_url))
                results.append(_fail(name, advice or f"failed: {exc}"))
            continue
        results.append(CheckResult(name, True, "allowed"))
    return results


# ----- Visma.net ---------------------------------------------------------------------------
def _vismanet_scopes_needed(config: IntegrationConfig) -> dict[str, str]:
    """scope -> why, for the enabled flows."""
    needed = {f"{VN_SCOPE}read": "every flow reads Visma.net"}
    if "sales_orders" in config.flows.enabled():
        needed[f"{VN_SCOPE}create"] = "the sales_orders flow creates orders and customers"
        needed[f"{VN_SCOPE}update"] = "the sales_orders flow updates changed customers"
        settings = config.flows.sales_orders
        if settings.target_document == "sales_order" and settings.sales_order_api == "v3":
            for scope in (V3_SCOPE + "read", V3_SCOPE + "write"):
                needed[scope] = "the sales_orders flow writes orders through SalesOrders V3"
    return needed


def _token_advice(config: IntegrationConfig, exc: ApiError) -> str:
    vn = config.vismanet
    unreachable = _unreachable(exc, str(vn.token_url))
    if unreachable:
        return unreachable
    if exc.code == "invalid_client":
        return (
            f"Visma.net rejected the client id {vn.client_id!r} or its secret: check "
            f"vismanet.client_id and the secret behind vismanet.client_secret "
            f"({vn.client_secret})"
        )
    if exc.code == "invalid_tenant":
        return (
            f"Visma.net refused the tenant {vn.tenant_id!r} for client {vn.client_id!r}: "
            "check vismanet.tenant_id (the company's tenant id) and that the application "
            "is approved for that company"
        )
    if exc.code == "invalid_scope":
        return (
            f"the client {vn.client_id!r} may not request {' '.join(vn.scopes)}: check "
            "vismanet.scopes against the scopes the application was granted"
        )
    return f"the token request failed: {exc}"


def check_vismanet(config: IntegrationConfig, secret: str) -> list[CheckResult]:
    """Scopes configured, a token obtainable, and the referenced branch, order type,
    warehouses and default debtor existing in the company."""
    results = []
    missing = {
        s: why
        for s, why in _vismanet_scopes_needed(config).items()
        if s not in config.vismanet.scopes
    }
    name = "vismanet.scopes fit the enabled flows"
    if missing:
        reasons = "; ".join(f"{s} ({why})" for s, why in missing.items())
        results.append(_fail(name, f"add to vismanet.scopes: {reasons}"))
    else:
        results.append(CheckResult(name, True, " ".join(config.vismanet.scopes)))
    with vismanet_client(config, secret) as client:
        try:
            client.auth.token()
        except ApiError as exc:
            results.append(_fail("Visma.net token", _token_advice(config, exc)))
            return results
        results.append(
            CheckResult("Visma.net token", True, f"tenant {config.vismanet.tenant_id} accepted")
        )
        try:
            results.extend(_references(config, client))
        except ApiError as exc:
            results.append(
                _fail(
                    "Visma.net reference data",
                    _unreachable(exc, str(config.vismanet.api_url)) or f"reading it failed: {exc}",
                )
            )
    return results


def _exists(name: str, setting: str, value: str, known: set[str], what: str) -> CheckResult:
    if value in known:
        return CheckResult(name, True, f"{value} exists")
    listing = ", ".join(nearest(value, sorted(known), n=5)) or "none"
    return _fail(
        name, f"{setting} is {value!r}, which is not a {what} in Visma.net (nearest: {listing})"
    )


def _order_key_fits(settings: SalesOrdersSettings, client: VismaNetClient) -> CheckResult:
    """The key orders carry on SalesOrders V3 must fit the order type's numbering: a fixed
    orderId needs manual numbering (automatic numbering keys by the customer reference)."""
    name = "order key fits the order type's numbering"
    sequence = client.numbering(settings.order_numbering_id)
    if sequence is None:
        return _fail(
            name,
            f"flows.sales_orders.order_numbering_id is {settings.order_numbering_id!r}, which "
            "is not a numbering sequence in Visma.net: name the sequence of the order type "
            f"{settings.order_type} (Visma.net's order type screen shows it)",
        )
    manual = bool(sequence.get("manualNumbering"))
    if settings.order_key == "order_id" and not manual:
        return _fail(
            name,
            f"flows.sales_orders.order_key is order_id, but the sequence "
            f"{settings.order_numbering_id} numbers automatically: allow manual numbers on it, "
            "or use order_key: auto (orders are then keyed by the customer reference)",
        )
    key = (
        settings.order_key
        if settings.order_key != "auto"
        else ("order_id" if manual else "customer_reference")
    )
    return CheckResult(name, True, f"orders are keyed by {key} ({settings.order_numbering_id})")


def _references(config: IntegrationConfig, client: VismaNetClient) -> Iterator[CheckResult]:
    enabled = config.flows.enabled()
    if "sales_orders" in enabled:
        settings = config.flows.sales_orders
        branches = {b.number for b in client.list_branches()}
        yield _exists(
            "branch",
            "flows.sales_orders.branch.default",
            settings.branch.default,
            branches,
            "branch",
        )
        for country, branch in settings.branch.by_country.items():
            yield _exists(
                f"branch for {country}",
                f"flows.sales_orders.branch.by_country.{country}",
                branch,
                branches,
                "branch",
            )
        if settings.target_document == "sales_order":
            types = {t.order_type for t in client.list_sales_order_types() if t.active is not False}
            yield _exists(
                "order type",
                "flows.sales_orders.order_type",
                settings.order_type,
                types,
                "active sales order type",
            )
            if settings.sales_order_api == "v3":
                yield _order_key_fits(settings, client)
        if settings.warehouse:
            yield _exists(
                "warehouse",
                "flows.sales_orders.warehouse",
                settings.warehouse,
                _warehouses(client),
                "warehouse",
            )
        categories = {c.vat_category_id for c in client.list_vat_categories()}
        taxes = [(f"value_maps.{key}{suffix}", value) for key in ("tax_code", "tax_code_by_country")
                 for suffix, value in _values(getattr(settings.value_maps, key))]  # fmt: skip
        if settings.shipping is not None and settings.shipping.tax_code:
            taxes.append(("shipping.tax_code", settings.shipping.tax_code))
        for suffix, value in taxes:
            yield _exists(f"VAT category {value}", f"flows.sales_orders.{suffix}", value,
                          categories, "VAT category")  # fmt: skip
        credit_terms = {t.terms_id for t in client.list_credit_terms()}
        for suffix, value in _values(settings.value_maps.payment_terms):
            yield _exists(f"credit terms {value}",
                          f"flows.sales_orders.value_maps.payment_terms{suffix}", value,
                          credit_terms, "credit terms id")  # fmt: skip
        if settings.default_debtor is not None:
            number = settings.default_debtor.customer_number
            known = {number} if client.get_customer(number) is not None else set()
            yield _exists(
                "default debtor",
                "flows.sales_orders.default_debtor.customer_number",
                number,
                known,
                "customer",
            )
    if "stock" in enabled:
        warehouses = _warehouses(client)
        for index, warehouse in enumerate(config.flows.stock.warehouses):
            yield _exists(
                f"stock warehouse {warehouse}",
                f"flows.stock.warehouses[{index}]",
                warehouse,
                warehouses,
                "warehouse",
            )


def _warehouses(client: VismaNetClient) -> set[str]:
    return {w.warehouse_id for w in client.list_warehouses()}


# ----- everything --------------------------------------------------------------------------
def check_integration(config: IntegrationConfig) -> list[CheckResult]:
    """Every check of a loaded (hence valid) configuration, in the order people fix things."""
    results, secrets = check_secrets(config)
    steps: list[tuple[str, Callable[[IntegrationConfig, str], list[CheckResult]]]] = [
        (EACCOUNTING, check_eaccounting),
        ("vismanet", check_vismanet),
    ]
    for system, step in steps:
        if system in secrets:
            results.extend(step(config, secrets[system]))
    return results
