"""eAccounting customers as Visma.net customers (pure).

A customer with a company name becomes a company debtor whose contact is the person; a private
person becomes a person debtor. Output is the unwrapped ``CustomerUpdateDto`` shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Visma.net limits customer names to 60 characters; longer names are cut, never refused.
NAME_LIMIT = 60


def customer_email(customer: Mapping[str, Any]) -> str | None:
    """The address a customer is matched by: its own e-mail, else its contact person's."""
    email = customer.get("EmailAddress") or customer.get("ContactPersonEmail")
    return email.strip().lower() if isinstance(email, str) and email.strip() else None


def is_company(customer: Mapping[str, Any]) -> bool:
    return not customer.get("IsPrivatePerson", False)


def missing_fields(customer: Mapping[str, Any]) -> list[str]:
    """What keeps the customer from being created in Visma.net (empty when complete)."""
    missing = []
    if not customer_email(customer):
        missing.append("e-mail address (EmailAddress)")
    if not (customer.get("Name") or "").strip():
        missing.append("name (Name)")
    if not customer.get("InvoiceCountryCode"):
        missing.append("invoice country (InvoiceCountryCode)")
    return missing


def _drop_empty(values: dict[str, Any]) -> dict[str, Any] | None:
    present = {k: v for k, v in values.items() if v not in (None, "")}
    return present or None


def vismanet_customer(customer: Mapping[str, Any]) -> dict[str, Any]:
    """The Visma.net customer for an eAccounting customer (without a number: Visma.net assigns
    one on create, and an update addresses the customer by its number)."""
    email = customer_email(customer)
    phone = customer.get("Telephone") or customer.get("MobilePhone")
    main_address = _drop_empty(
        {
            "addressLine1": customer.get("InvoiceAddress1"),
            "addressLine2": customer.get("InvoiceAddress2"),
            "postalCode": customer.get("InvoicePostalCode"),
            "city": customer.get("InvoiceCity"),
            "countryId": customer.get("InvoiceCountryCode"),
        }
    )
    delivery_address = _drop_empty(
        {
            "addressLine1": customer.get("DeliveryAddress1"),
            "addressLine2": customer.get("DeliveryAddress2"),
            "postalCode": customer.get("DeliveryPostalCode"),
            "city": customer.get("DeliveryCity"),
            "countryId": customer.get("DeliveryCountryCode"),
        }
    )
    contact_name = (
        customer.get("ContactPersonName") if is_company(customer) else customer.get("Name")
    )
    payload: dict[str, Any] = {
        "name": (customer.get("Name") or "").strip()[:NAME_LIMIT],
        "status": "Active" if customer.get("IsActive", True) else "Inactive",
        "currencyId": customer.get("CurrencyCode"),
        "vatRegistrationId": customer.get("VatNumber"),
        "corporateId": customer.get("CorporateIdentityNumber"),
        "mainAddress": main_address,
        "mainContact": _drop_empty(
            {"name": contact_name or customer.get("Name"), "email": email, "phone1": phone}
        ),
        "deliveryAddress": delivery_address,
    }
    return {k: v for k, v in payload.items() if v is not None}


def contact_person(customer: Mapping[str, Any], customer_number: str) -> dict[str, Any] | None:
    """The person behind a company customer, as a Visma.net contact of that customer."""
    if not is_company(customer):
        return None
    name = (customer.get("ContactPersonName") or "").strip()
    if not name:
        return None
    first, _, last = name.rpartition(" ")
    return _drop_empty(
        {
            "firstName": first or None,
            "lastName": last or name,
            "businessAccount": customer_number,
            "email": (customer.get("ContactPersonEmail") or customer_email(customer)),
            "phone1": customer.get("ContactPersonPhone") or customer.get("ContactPersonMobile"),
            "active": True,
        }
    )


def _plain(value: Any) -> Any:
    """A read value in the write shape: ``{"id": "NO"}`` -> ``"NO"``; empty strings are None."""
    if isinstance(value, Mapping) and set(value) <= {"id", "name", "description"}:
        return value.get("id")
    return value if value not in ("", None) else None


def _differs(wanted: Any, current: Any) -> bool:
    if isinstance(wanted, Mapping):
        current = current if isinstance(current, Mapping) else {}
        return any(
            _differs(v, _field(current, k)) for k, v in wanted.items() if k != "overrideAddress"
        )
    return _plain(wanted) != _plain(current)


def _field(record: Mapping[str, Any], key: str) -> Any:
    # Read DTOs name the country "country" ({"id": ...}) where write DTOs say "countryId".
    if key == "countryId" and "countryId" not in record:
        return record.get("country")
    return record.get(key)


def customer_differs(payload: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """Whether writing ``payload`` would change the Visma.net customer ``current`` (as read,
    camelCase). Only fields the payload sets are compared: the others are never written."""
    return any(_differs(value, _field(current, key)) for key, value in payload.items())
