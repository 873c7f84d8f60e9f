"""Customers (AR303000) and contacts (CR302000): numbering, references, filters."""

from __future__ import annotations

from typing import Any

from vismasync.emulators.vismanet.errors import NotFoundError, ValidationError
from vismasync.emulators.vismanet.query import date_condition
from vismasync.emulators.vismanet.state import CompanyState, Record, filter_records, snapshot

CUSTOMER_STATUSES = ("Active", "OnHold", "CreditHold", "Inactive", "OneTime")
FIRST_CUSTOMER_NUMBER = 10001
FIRST_CONTACT_ID = 500
ADDRESS_FIELDS = ("addressLine1", "addressLine2", "addressLine3", "postalCode", "city")
CONTACT_INFO_FIELDS = ("name", "attention", "email", "web", "phone1", "phone2", "fax")
CUSTOMER_EQUALS = {
    "name": lambda c: c.get("name"),
    "status": lambda c: c.get("status"),
    "corporateId": lambda c: c.get("corporateId"),
    "vatRegistrationId": lambda c: c.get("vatRegistrationId"),
    "email": lambda c: (c.get("mainContact") or {}).get("email"),
    "phone": lambda c: (c.get("mainContact") or {}).get("phone1"),
}
CONTACT_EQUALS = {
    "displayName": lambda c: c.get("displayName"),
    "active": lambda c: str(c.get("active")).lower(),
    "firstName": lambda c: c.get("firstName"),
    "lastName": lambda c: c.get("lastName"),
    "businessAccount": lambda c: c.get("businessAccount"),
    "email": lambda c: c.get("email"),
}


class CustomerRules:
    """Create, update and query customers and their contacts."""

    def __init__(self, state: CompanyState) -> None:
        self.state = state

    # ----- customers -------------------------------------------------------------------------
    def get(self, number: str) -> Record:
        with self.state.lock:
            customer = self.state.customers.get(number)
            if customer is None:
                raise NotFoundError(f"Customer with customerCd '{number}' not found.")
            return snapshot(customer)

    def list(self, params: dict[str, str]) -> list[Record]:
        with self.state.lock:
            return [
                snapshot(c)
                for c in filter_records(
                    self.state.customers.values(),
                    equals=CUSTOMER_EQUALS,
                    params=params,
                    dates={
                        "lastModifiedDateTime": lambda c: c.get("lastModifiedDateTime"),
                        "createdDateTime": lambda c: c.get("createdDateTime"),
                    },
                    conditions={
                        "lastModifiedDateTime": date_condition(params, "lastModifiedDateTime"),
                        "createdDateTime": date_condition(params, "createdDateTime"),
                    },
                )
            ]

    def create(self, dto: dict[str, Any]) -> str:
        """Insert a customer from an unwrapped CustomerUpdateDto; returns the customer number."""
        with self.state.lock:
            name = (dto.get("name") or "").strip()
            if not name:
                raise ValidationError("Error creating customer. 'Customer Name' cannot be empty.")
            number = (dto.get("number") or "").strip()
            if number:
                if number in self.state.customers:
                    raise ValidationError(
                        f"Error creating customer. Customer ID '{number}' already exists."
                    )
            else:
                number = self._next_customer_number()
            now = self.state.now()
            customer: Record = {
                "internalId": self.state.next_number("customer.internalId", 5000),
                "number": number,
                "name": name,
                "status": "Active",
                "createdDateTime": now,
            }
            self._apply(customer, dto, "creating", defaults=True)
            customer["lastModifiedDateTime"] = now
            self.state.customers[number] = customer
            return number

    def update(self, number: str, dto: dict[str, Any]) -> None:
        """Change the fields present in an unwrapped CustomerUpdateDto (absent ones stay)."""
        with self.state.lock:
            customer = self.state.customers.get(number)
            if customer is None:
                raise NotFoundError(f"Customer with customerCd '{number}' not found.")
            updated = snapshot(customer)
            if "name" in dto:
                if not (dto.get("name") or "").strip():
                    raise ValidationError(
                        "Error updating customer. 'Customer Name' cannot be empty."
                    )
                updated["name"] = dto["name"].strip()
            self._apply(updated, dto, "updating", defaults=False)
            updated["lastModifiedDateTime"] = self.state.now()
            self.state.customers[number] = updated

    def _next_customer_number(self) -> str:
        while True:
            candidate = str(self.state.next_number("customer", FIRST_CUSTOMER_NUMBER))
            if candidate not in self.state.customers:
                return candidate

    def _apply(self, customer: Record, dto: dict[str, Any], verb: str, *, defaults: bool) -> None:
        state = self.state
        fail = f"Error {verb} customer."
        if "status" in dto:
            if dto["status"] not in CUSTOMER_STATUSES:
                raise ValidationError(f"{fail} Status '{dto['status']}' is not valid.")
            customer["status"] = dto["status"]
        class_id = dto.get("customerClassId") or (
            next(iter(state.customer_classes), None) if defaults else None
        )
        if class_id is not None:
            klass = _lookup(state.customer_classes, class_id, f"{fail} Customer class")
            customer["customerClass"] = {"id": klass["id"], "description": klass["description"]}
            if defaults and klass.get("taxZoneId") and "vatZoneId" not in dto:
                dto = {**dto, "vatZoneId": klass["taxZoneId"]}
        if dto.get("creditTermsId") is not None:
            terms = _lookup(state.credit_terms, dto["creditTermsId"], f"{fail} Credit terms")
            customer["creditTerms"] = {"id": terms["termsId"], "description": terms["description"]}
        if dto.get("vatZoneId") is not None:
            zone = _lookup(state.vat_zones, dto["vatZoneId"], f"{fail} VAT zone")
            customer["vatZone"] = {
                "id": zone["id"],
                "description": zone["description"],
                "defaultVatCategory": zone.get("defaultVatCategory"),
            }
        if dto.get("currencyId") is not None:
            _lookup(state.currencies, dto["currencyId"], f"{fail} Currency")
            customer["currencyId"] = dto["currencyId"]
        elif defaults:
            customer["currencyId"] = state.base_currency
        for key in ("vatRegistrationId", "corporateId", "gln", "accountReference"):
            if key in dto:
                customer[key] = dto[key]
        for key in ("creditLimit", "creditDaysPastDue", "numberOfEmployees"):
            if key in dto:
                customer[key] = dto[key]
        for key in ("mainAddress", "invoiceAddress", "deliveryAddress"):
            if isinstance(dto.get(key), dict):
                customer[key] = self._address(customer.get(key), dto[key], fail)
        for key in ("mainContact", "invoiceContact", "deliveryContact"):
            if isinstance(dto.get(key), dict):
                contact = dict(customer.get(key) or {})
                contact.setdefault("contactId", state.next_number("contactId", FIRST_CONTACT_ID))
                for item in CONTACT_INFO_FIELDS:
                    if item in dto[key]:
                        contact[item] = dto[key][item]
                customer[key] = contact
        if isinstance(dto.get("defaultPaymentMethod"), dict):
            method_id = dto["defaultPaymentMethod"].get("paymentMethodId")
            _lookup(state.payment_methods, method_id, f"{fail} Payment method")
            customer["defaultPaymentMethodId"] = method_id
        if isinstance(dto.get("attributeLines"), list):
            customer["attributes"] = _attribute_values(state, dto["attributeLines"], fail)
        if customer.get("mainAddress", {}).get("country"):
            country = customer["mainAddress"]["country"]["id"]
            customer["location"] = {"countryId": country, "id": "MAIN", "name": "Primary Location"}

    def _address(self, current: Record | None, dto: dict[str, Any], fail: str) -> Record:
        address = dict(current or {})
        address.setdefault("addressId", self.state.next_number("addressId", 900))
        for item in ADDRESS_FIELDS:
            if item in dto:
                address[item] = dto[item]
        if dto.get("countryId") is not None:
            country = _lookup(self.state.countries, dto["countryId"], f"{fail} Country")
            address["country"] = {"id": country["id"], "name": country["name"]}
        return address

    # ----- contacts --------------------------------------------------------------------------
    def list_contacts(self, params: dict[str, str], customer: str | None = None) -> list[Record]:
        with self.state.lock:
            if customer is not None and customer not in self.state.customers:
                raise NotFoundError(f"Customer with customerCd '{customer}' not found.")
            contacts = [
                c
                for c in self.state.contacts.values()
                if customer is None or c.get("businessAccount") == customer
            ]
            return [
                snapshot(c)
                for c in filter_records(
                    contacts,
                    equals=CONTACT_EQUALS,
                    params=params,
                    dates={"lastModifiedDateTime": lambda c: c.get("lastModifiedDateTime")},
                    conditions={
                        "lastModifiedDateTime": date_condition(params, "lastModifiedDateTime")
                    },
                )
            ]

    def get_contact(self, contact_id: int) -> Record:
        with self.state.lock:
            contact = self.state.contacts.get(contact_id)
            if contact is None:
                raise NotFoundError(f"Contact with contactId '{contact_id}' not found.")
            return snapshot(contact)

    def create_contact(self, dto: dict[str, Any]) -> int:
        """Insert a contact from an unwrapped ContactUpdateDto; returns its contact id."""
        with self.state.lock:
            fail = "Error creating contact."
            if not (dto.get("lastName") or "").strip():
                raise ValidationError(f"{fail} 'Last Name' cannot be empty.")
            account = dto.get("businessAccount")
            if account and account not in self.state.customers:
                raise ValidationError(f"{fail} Business account '{account}' not found.")
            contact_id = self.state.next_number("contactId", FIRST_CONTACT_ID)
            first, last = (dto.get("firstName") or "").strip(), dto["lastName"].strip()
            contact: Record = {
                "contactId": contact_id,
                "displayName": f"{first} {last}".strip(),
                "active": dto.get("active", True),
                "firstName": first or None,
                "lastName": last,
                "businessAccount": account,
                "businessAccountType": "Customer" if account else None,
                "lastModifiedDateTime": self.state.now(),
            }
            for key in ("title", "position", "email", "web", "phone1", "phone2", "phone3"):
                if key in dto:
                    contact[key] = dto[key]
            if isinstance(dto.get("address"), dict):
                contact["address"] = self._address(None, dto["address"], fail)
            self.state.contacts[contact_id] = contact
            return contact_id


def _lookup(table: dict[str, Record], key: Any, what: str) -> Record:
    record = table.get(str(key)) if key is not None else None
    if record is None:
        raise ValidationError(f"{what} '{key}' does not exist.")
    return record


def _attribute_values(state: CompanyState, lines: list[dict[str, Any]], fail: str) -> list[Record]:
    values = []
    for line in lines:
        attribute = _lookup(state.attributes, line.get("attributeId"), f"{fail} Attribute")
        value = line.get("attributeValue")
        detail = next((d for d in attribute.get("details", []) if d["valueId"] == value), None)
        values.append(
            {
                "id": attribute["attributeID"],
                "value": value,
                "description": detail["description"] if detail else value,
            }
        )
    return values
