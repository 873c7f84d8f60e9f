"""Visma.net customers as eAccounting customers (pure)."""

from __future__ import annotations

import pytest

from vismasync.mappings.eaccounting_customers import (
    CustomerProblem,
    CustomerRules,
    eaccounting_customer,
    mapper_source,
)
from vismasync.mappings.value_maps import ValueMap

TERMS = {"t-30": "t-30", "30 dagar": "t-30"}
RULES = CustomerRules(
    payment_terms=ValueMap(table={"30": "30 dagar"}),
    revenue_account_by_country=ValueMap(table={"NO": "3105"}, default="3001"),
    tax_code_by_country=ValueMap(),
)


def customer(**changes):
    base = {
        "number": "10001", "name": "Fjord Saga AS", "status": "Active", "currencyId": "NOK",
        "vatRegistrationId": "NO123456789", "creditTerms": {"id": "30"},
        "mainAddress": {"addressLine1": "Havnegade 1", "postalCode": "0150", "city": "Oslo",
                        "country": {"id": "NO"}},
        "mainContact": {"email": "a@fjord.example", "phone1": "+47 1", "attention": "Ole Berg"},
    }  # fmt: skip
    return {**base, **changes}


def test_a_company_with_its_contact_person():
    fields = eaccounting_customer(customer(), RULES, TERMS)
    assert fields["IsPrivatePerson"] is False
    assert fields["ContactPersonName"] == "Ole Berg"
    assert fields["VatNumber"] == "NO123456789"
    assert (fields["InvoiceCity"], fields["InvoiceCountryCode"]) == ("Oslo", "NO")
    assert fields["TermsOfPaymentId"] == "t-30"
    assert "DeliveryAddress1" not in fields


def test_a_private_person_and_a_separate_delivery_address():
    delivery = {"addressLine1": "Lagerveien 2", "city": "Bergen", "country": {"id": "NO"}}
    fields = eaccounting_customer(
        customer(vatRegistrationId=None, deliveryAddress=delivery), RULES, TERMS
    )
    assert fields["IsPrivatePerson"] is True
    assert "ContactPersonName" not in fields and "VatNumber" not in fields
    assert (fields["DeliveryAddress1"], fields["DeliveryCity"]) == ("Lagerveien 2", "Bergen")


def test_defaults_fill_required_fields_and_missing_ones_are_named():
    rules = CustomerRules(ValueMap(), ValueMap(), ValueMap(), default_terms="30 dagar",
                          default_invoice_city="Stockholm")  # fmt: skip
    bare = customer(mainAddress={"country": {"id": "SE"}}, creditTerms=None)
    with pytest.raises(CustomerProblem, match="no InvoicePostalCode") as caught:
        eaccounting_customer(bare, rules, TERMS)
    assert "InvoiceCity" not in str(caught.value)
    with pytest.raises(CustomerProblem, match="no TermsOfPaymentId") as caught:
        eaccounting_customer(customer(creditTerms={"id": "10"}), RULES, TERMS)
    # Missing configuration (no mapping, no default), not a bad record.
    assert caught.value.error_class == "config"
    assert "flows.customers.defaults.terms_of_payment_id" in str(caught.value)


def test_an_unknown_terms_name_is_a_configuration_problem():
    rules = CustomerRules(ValueMap(default="60 dagar"), ValueMap(), ValueMap())
    with pytest.raises(CustomerProblem) as caught:
        eaccounting_customer(customer(), rules, TERMS)
    assert caught.value.error_class == "config"


def test_country_maps_are_offered_to_field_mappings():
    source = mapper_source(customer(), RULES)
    assert (source["revenue_account"], source["country"]) == ("3105", "NO")
