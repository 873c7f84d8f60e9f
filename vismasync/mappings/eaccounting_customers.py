"""Visma.net customers as eAccounting customers (pure).

Input is a customer as Visma.net sends it (camelCase); output is the part of an eAccounting
``CustomerApi`` object the customer flow owns. Fields the source has no value for are left out,
so an update never clears what someone entered in eAccounting.

Company or private person: Visma.net has no such flag. A customer with a VAT registration id or
a corporate id is a company; one without both is a private person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vismasync.mappings.validity import is_email_address, known_country
from vismasync.mappings.value_maps import ValueMap

# eAccounting limits (CustomerApi): longer values are cut, never refused.
LIMITS = {
    "Name": 50, "InvoiceAddress1": 50, "InvoiceAddress2": 50, "InvoiceCity": 50,
    "InvoicePostalCode": 10, "DeliveryAddress1": 50, "DeliveryAddress2": 50, "DeliveryCity": 50,
    "DeliveryPostalCode": 10, "DeliveryCustomerName": 100, "ContactPersonName": 100,
    "ContactPersonPhone": 50, "Telephone": 50, "VatNumber": 20, "CorporateIdentityNumber": 20,
}  # fmt: skip


class CustomerProblem(ValueError):
    """The customer cannot become an eAccounting customer; the message says what to fix."""

    def __init__(self, message: str, error_class: str = "data"):
        super().__init__(message)
        self.error_class = error_class


@dataclass(frozen=True)
class CustomerRules:
    """The customer flow's settings in plain values (``flows.customers``)."""

    payment_terms: ValueMap
    revenue_account_by_country: ValueMap
    tax_code_by_country: ValueMap
    default_terms: str | None = None
    default_invoice_city: str | None = None
    default_invoice_postal_code: str | None = None


def customer_email(customer: Mapping[str, Any]) -> str | None:
    """The address the customer is matched by: the main contact's, else the invoice contact's."""
    found = _email_and_contact(customer)
    return found[0] if found else None


def _email_and_contact(customer: Mapping[str, Any]) -> tuple[str, str] | None:
    for contact, name in (("mainContact", "main contact"), ("invoiceContact", "invoice contact")):
        email = (customer.get(contact) or {}).get("email")
        if isinstance(email, str) and email.strip():
            return email.strip(), name
    return None


def is_company(customer: Mapping[str, Any]) -> bool:
    return bool(customer.get("vatRegistrationId") or customer.get("corporateId"))


def country_of(customer: Mapping[str, Any]) -> str | None:
    for key in ("invoiceAddress", "mainAddress"):
        country = ((customer.get(key) or {}).get("country") or {}).get("id")
        if country:
            return country
    return None


def mapper_source(customer: Mapping[str, Any], rules: CustomerRules) -> dict[str, Any]:
    """What field mappings see: the customer plus the values the country maps give.

    eAccounting customers have no revenue-account or VAT-code property (eAccounting derives both
    from the article's account coding and the customer's country), so these values reach
    eAccounting only through a field mapping the user writes.
    """
    country = country_of(customer)
    return {
        **customer,
        "email": customer_email(customer),
        "country": country,
        "revenue_account": rules.revenue_account_by_country.map(country),
        "tax_code": rules.tax_code_by_country.map(country),
    }


def _address(address: Mapping[str, Any] | None, prefix: str) -> dict[str, Any]:
    address = address or {}
    return {
        f"{prefix}Address1": address.get("addressLine1"),
        f"{prefix}Address2": address.get("addressLine2"),
        f"{prefix}PostalCode": address.get("postalCode"),
        f"{prefix}City": address.get("city"),
        f"{prefix}CountryCode": (address.get("country") or {}).get("id"),
    }


def _present(values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = {}
    for name, value in values.items():
        if isinstance(value, str):
            value = value.strip()[: LIMITS.get(name, len(value))] or None
        if value is not None:
            cleaned[name] = value
    return cleaned


def _check_email(customer: Mapping[str, Any], label: str) -> str:
    found = _email_and_contact(customer)
    if found is None:
        raise CustomerProblem(
            f"{label} has no e-mail address (EmailAddress), which customers are matched by: "
            "add it to the customer's main contact in Visma.net"
        )
    email, contact = found
    if not is_email_address(email):
        raise CustomerProblem(
            f"{label}: the e-mail address {email!r} of its {contact} (EmailAddress) is not a "
            f"valid address (name@example.com): correct it on the {contact} in Visma.net"
        )
    return email


def _check_countries(
    fields: dict[str, Any], countries: Mapping[str, str], label: str, invoice_from: str
) -> None:
    """Each country code as eAccounting spells it; one it does not list fails the customer."""
    addresses = {"InvoiceCountryCode": invoice_from, "DeliveryCountryCode": "delivery address"}
    for name, address in addresses.items():
        code = fields.get(name)
        if code is None:
            continue
        known = known_country(code, countries)
        if known is None:
            raise CustomerProblem(
                f"{label}: the country {code!r} of its {address} ({name}) is not a country "
                "eAccounting knows (GET /v2/countries): set the address's country to an ISO "
                "3166-1 alpha-2 code such as SE or NO in Visma.net"
            )
        fields[name] = known


def eaccounting_customer(
    customer: Mapping[str, Any],
    rules: CustomerRules,
    terms: Mapping[str, str],
    countries: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The eAccounting customer fields for a Visma.net customer.

    ``terms`` resolves a terms-of-payment id or name (lower-case) to its eAccounting id;
    ``countries`` (see :func:`~vismasync.mappings.validity.country_codes`) holds the country
    codes eAccounting lists (None: not checked).

    Raises:
        CustomerProblem: a required field has no value in the source or the settings, the
            e-mail address is not one, or a country code is not one eAccounting knows.
    """
    number = customer.get("number")
    label = f"Visma.net customer {number} ({customer.get('name') or 'no name'})"
    email = _check_email(customer, label)
    invoice_from = "invoice address" if customer.get("invoiceAddress") else "main address"
    invoice = customer.get("invoiceAddress") or customer.get("mainAddress") or {}
    delivery = customer.get("deliveryAddress")
    main = customer.get("mainContact") or {}
    company = is_company(customer)
    fields: dict[str, Any] = {
        "Name": customer.get("name"),
        "IsPrivatePerson": not company,
        "IsActive": customer.get("status") != "Inactive",
        "EmailAddress": email,
        "Telephone": main.get("phone1"),
        "CurrencyCode": customer.get("currencyId"),
        "VatNumber": customer.get("vatRegistrationId") if company else None,
        "CorporateIdentityNumber": customer.get("corporateId") if company else None,
        **_address(invoice, "Invoice"),
    }
    if delivery and delivery != invoice:
        fields.update(_address(delivery, "Delivery"))
        fields["DeliveryCustomerName"] = customer.get("name")
    attention = main.get("attention")
    if company and attention:
        fields.update(
            ContactPersonName=attention,
            ContactPersonEmail=email,
            ContactPersonPhone=main.get("phone1"),
        )
    fields = _present(fields)
    if countries is not None:
        _check_countries(fields, countries, label, invoice_from)
    fields.setdefault("InvoiceCity", rules.default_invoice_city)
    fields.setdefault("InvoicePostalCode", rules.default_invoice_postal_code)
    credit_terms = (customer.get("creditTerms") or {}).get("id")
    wanted_terms = rules.payment_terms.map(credit_terms) or rules.default_terms
    fields["TermsOfPaymentId"] = terms.get(wanted_terms.strip().lower()) if wanted_terms else None
    if wanted_terms and fields["TermsOfPaymentId"] is None:
        raise CustomerProblem(
            f"{label}: terms of payment {wanted_terms!r} (from flows.customers) is neither the "
            "id nor the name of an eAccounting terms of payment",
            "config",
        )
    if not fields.get("TermsOfPaymentId"):
        # No setting gives its terms: the configuration lacks a value, the record is fine.
        raise CustomerProblem(
            f"{label} has no TermsOfPaymentId, which eAccounting requires: map its credit terms "
            f"{credit_terms!r} in flows.customers.value_maps.payment_terms or set "
            "flows.customers.defaults.terms_of_payment_id",
            "config",
        )
    missing = [
        (name, hint)
        for name, hint in (
            ("Name", "give the customer a name in Visma.net"),
            ("InvoiceCity", "add the city to its invoice or main address in Visma.net, or set "
             "flows.customers.defaults.invoice_city"),
            ("InvoicePostalCode", "add the postal code to its invoice or main address in "
             "Visma.net, or set flows.customers.defaults.invoice_postal_code"),
        )
        if not fields.get(name)
    ]  # fmt: skip
    if missing:
        names = " and no ".join(name for name, _ in missing)
        hints = "; ".join(hint for _, hint in missing)
        raise CustomerProblem(f"{label} has no {names}, which eAccounting requires: {hints}")
    return fields
