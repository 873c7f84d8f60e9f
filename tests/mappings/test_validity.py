"""E-mail addresses and country codes checked before a write (pure)."""

from __future__ import annotations

import pytest

from vismasync.mappings.eaccounting_customers import (
    CustomerProblem,
    CustomerRules,
    eaccounting_customer,
)
from vismasync.mappings.order_countries import unknown_countries
from vismasync.mappings.validity import country_codes, is_email_address, known_country
from vismasync.mappings.value_maps import ValueMap

GOOD = ["a@b.se", "o'brien.27@example.com", "anna.berg+x@mail.example.co.uk", "åsa@exempel.se",
        "first_last@sub-domain.example"]  # fmt: skip
BAD = ["not an e-mail", "anna.example.com", "anna berg@x.se", "a@b", "a@@b.se", "@b.se", "a@.se",
       ".a@b.se", "a.@b.se", "a..b@c.se", "a@b..se", "a@-b.se", "a@b-.se", "a@b.123", "a@b_c.se",
       "a@b.se,c@d.se", "x" * 65 + "@b.se"]  # fmt: skip


@pytest.mark.parametrize("text", GOOD)
def test_addresses_mail_systems_take(text):
    assert is_email_address(text)


@pytest.mark.parametrize("text", BAD)
def test_text_that_is_no_address(text):
    assert not is_email_address(text)


def test_country_codes_in_any_case_are_spelt_as_the_system_lists_them():
    known = country_codes(["SE", "NO", None, " DK "])
    assert known_country("no", known) == "NO"
    assert known_country("DK", known) == "DK"
    assert known_country("XX", known) is None
    # A system that lists no countries cannot judge one.
    assert known_country("XX", {}) == "XX"


RULES = CustomerRules(payment_terms=ValueMap(default="t-30"), revenue_account_by_country=ValueMap(),
                      tax_code_by_country=ValueMap())  # fmt: skip
KNOWN = country_codes(["SE", "NO"])


def _customer(**changes):
    base = {"number": "10001", "name": "Fjord Saga AS", "creditTerms": None,
            "mainAddress": {"postalCode": "0150", "city": "Oslo", "country": {"id": "NO"}},
            "mainContact": {"email": "a@fjord.example"}}  # fmt: skip
    return {**base, **changes}


def _problem(customer) -> str:
    with pytest.raises(CustomerProblem) as raised:
        eaccounting_customer(customer, RULES, {"t-30": "t-30"}, KNOWN)
    assert raised.value.error_class == "data"
    return str(raised.value)


def test_a_malformed_address_names_customer_contact_field_and_value():
    message = _problem(_customer(mainContact=None, invoiceContact={"email": "ole(at)fjord.no"}))
    assert "Visma.net customer 10001 (Fjord Saga AS)" in message
    assert "'ole(at)fjord.no' of its invoice contact (EmailAddress)" in message
    assert "correct it on the invoice contact in Visma.net" in message


def test_an_unknown_delivery_country_names_the_address_and_field():
    delivery = {"city": "Bergen", "country": {"id": "QQ"}}
    message = _problem(_customer(deliveryAddress=delivery))
    assert "'QQ' of its delivery address (DeliveryCountryCode)" in message
    assert "ISO 3166-1 alpha-2" in message


def test_known_countries_are_sent_as_listed_and_unchecked_without_a_list():
    lower = _customer(mainAddress={"postalCode": "1", "city": "Oslo", "country": {"id": "no"}})
    assert eaccounting_customer(lower, RULES, {"t-30": "t-30"}, KNOWN)["InvoiceCountryCode"] == "NO"
    odd = _customer(mainAddress={"postalCode": "1", "city": "Oslo", "country": {"id": "QQ"}})
    assert eaccounting_customer(odd, RULES, {"t-30": "t-30"})["InvoiceCountryCode"] == "QQ"


def test_an_order_names_each_unknown_country_of_document_and_customer():
    document = {"DeliveryCountryCode": "XX", "InvoiceCountryCode": "se"}
    customer = {"CustomerNumber": "7", "Name": "Åsa", "InvoiceCountryCode": "ZZ"}
    problems = unknown_countries(document, customer, KNOWN)
    assert len(problems) == 2
    assert "'XX' of its delivery address (DeliveryCountryCode)" in problems[0]
    assert "on the document in eAccounting" in problems[0]
    assert "'ZZ' of its customer 7 (Åsa)'s invoice address (InvoiceCountryCode)" in problems[1]
    assert "on the customer in eAccounting" in problems[1]
    # Sent to a default debtor, the customer's countries do not travel.
    assert len(unknown_countries(document, None, KNOWN)) == 1
    assert unknown_countries({"InvoiceCountryCode": "NO"}, {}, KNOWN) == []
