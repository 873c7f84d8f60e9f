"""The ``/v2`` operations the emulator implements, path templates exactly as in the spec."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from vismasync.emulators.eaccounting.api import V2, body, int_param

REFERENCE_DATA = [
    # (collection, list template, id path parameter or None)
    ("termsofpayments", "/v2/termsofpayments", "id"),
    ("deliverymethods", "/v2/deliverymethods", "deliveryMethodId"),
    ("deliveryterms", "/v2/deliveryterms", "deliveryTermId"),
    ("units", "/v2/units", "id"),
    ("articleaccountcodings", "/v2/articleaccountcodings", "articleAccountCodingId"),
    ("countries", "/v2/countries", "countrycode"),
    ("currencies", "/v2/currencies", None),
    ("fiscalyears", "/v2/fiscalyears", "id"),
]


def build_v2(v2: V2) -> None:
    backend = v2.backend

    def path(request: Request, name: str) -> str:
        return request.path_params[name]

    # customers
    v2.resource("customers", "/v2/customers", "customerId")

    async def create_customer(r: Request) -> Any:
        return backend.create_customer(await body(r))

    async def update_customer(r: Request) -> Any:
        return backend.update_customer(path(r, "customerId"), await body(r))

    async def delete_customer(r: Request) -> Any:
        backend.delete_customer(path(r, "customerId"))

    v2.add("POST", "/v2/customers", create_customer, 201)
    v2.add("PUT", "/v2/customers/{customerId}", update_customer)
    v2.add("DELETE", "/v2/customers/{customerId}", delete_customer)

    # articles
    v2.resource("articles", "/v2/articles", "articleId")

    async def create_article(r: Request) -> Any:
        return backend.create_article(await body(r))

    async def update_article(r: Request) -> Any:
        return backend.update_article(path(r, "articleId"), await body(r))

    v2.add("POST", "/v2/articles", create_article, 201)
    v2.add("PUT", "/v2/articles/{articleId}", update_article)

    # orders
    v2.resource("orders", "/v2/orders", "id")

    async def create_order(r: Request) -> Any:
        return backend.create_order(await body(r))

    async def update_order(r: Request) -> Any:
        return backend.update_order(path(r, "id"), await body(r))

    async def delete_order(r: Request) -> Any:
        backend.delete_order(path(r, "id"))

    async def convert_order(r: Request) -> Any:
        return backend.convert_order(path(r, "id"))

    v2.add("POST", "/v2/orders", create_order, 201)
    v2.add("PUT", "/v2/orders/{id}", update_order)
    v2.add("DELETE", "/v2/orders/{id}", delete_order)
    v2.add("POST", "/v2/orders/{id}/convert", convert_order)  # 200 per the spec

    # customer invoices
    async def list_invoices(r: Request) -> Any:
        since = r.query_params.get("modifiedSinceUtc")
        return await v2.list_page("customerinvoices", r, modified_since=since)

    async def get_invoice(r: Request) -> Any:
        return backend.get("customerinvoices", path(r, "invoiceId"))

    async def create_invoice(r: Request) -> Any:
        return backend.create_invoice(await body(r))

    async def pay_invoice(r: Request) -> Any:
        return backend.add_invoice_payment(path(r, "invoiceId"), await body(r))

    v2.add("GET", "/v2/customerinvoices", list_invoices)
    v2.add("GET", "/v2/customerinvoices/{invoiceId}", get_invoice)
    v2.add("POST", "/v2/customerinvoices", create_invoice, 201)
    v2.add("POST", "/v2/customerinvoices/{invoiceId}/payments", pay_invoice, 201)

    # customer invoice drafts (the spec names the id differently per method)
    async def get_draft(r: Request) -> Any:
        return backend.get("customerinvoicedrafts", path(r, "invoiceDraftId"))

    async def create_draft(r: Request) -> Any:
        return backend.create_draft(await body(r))

    async def update_draft(r: Request) -> Any:
        return backend.update_draft(path(r, "customerInvoiceDraftId"), await body(r))

    async def delete_draft(r: Request) -> Any:
        backend.delete_draft(path(r, "customerInvoiceDraftId"))

    async def convert_draft(r: Request) -> Any:
        return backend.convert_draft(path(r, "customerInvoiceDraftId"))

    v2.resource("customerinvoicedrafts", "/v2/customerinvoicedrafts")
    v2.add("POST", "/v2/customerinvoicedrafts", create_draft, 201)
    v2.add("PUT", "/v2/customerinvoicedrafts/{customerInvoiceDraftId}", update_draft)
    v2.add("DELETE", "/v2/customerinvoicedrafts/{customerInvoiceDraftId}", delete_draft)
    v2.add("GET", "/v2/customerinvoicedrafts/{invoiceDraftId}", get_draft)
    v2.add("POST", "/v2/customerinvoicedrafts/{customerInvoiceDraftId}/convert", convert_draft, 201)

    # vouchers
    async def create_voucher(r: Request) -> Any:
        default_series = r.query_params.get("useDefaultVoucherSeries", "true").lower() != "false"
        return backend.create_voucher(await body(r), default_series)

    async def vouchers_of_year(r: Request) -> Any:
        year = backend.get("fiscalyears", path(r, "fiscalyearId"))
        start, end = year["StartDate"][:10], year["EndDate"][:10]
        return backend.list(
            "vouchers",
            filter_text=f"VoucherDate ge {start} and VoucherDate le {end}",
            page=int_param(r.query_params.get("$page"), "$page", 1) or 1,
            page_size=int_param(r.query_params.get("$pagesize"), "$pagesize", None),
        )

    async def voucher_of_year(r: Request) -> Any:
        backend.get("fiscalyears", path(r, "fiscalyearId"))
        return backend.get("vouchers", path(r, "voucherId"))

    v2.resource("vouchers", "/v2/vouchers")
    v2.add("POST", "/v2/vouchers", create_voucher, 201)
    v2.add("GET", "/v2/vouchers/{fiscalyearId}", vouchers_of_year)
    v2.add("GET", "/v2/vouchers/{fiscalyearId}/{voucherId}", voucher_of_year)

    # reference data
    for collection, template, item in REFERENCE_DATA:
        v2.resource(collection, template, item)
    v2.resource("vatcodes", "/v2/vatcodes")

    async def vat_code(r: Request) -> Any:
        # The spec declares this single-item read as a paginated response.
        code_id = path(r, "id")
        backend.get("vatcodes", code_id)
        return backend.list("vatcodes", filter_text=f"Id eq {code_id}")

    async def company_settings(r: Request) -> Any:
        return backend.company_settings()

    v2.add("GET", "/v2/vatcodes/{id}", vat_code)

    async def replace_company_settings(r: Request) -> Any:
        return backend.replace_company_settings(await body(r))

    v2.add("GET", "/v2/companysettings", company_settings)
    v2.add("PUT", "/v2/companysettings", replace_company_settings)
