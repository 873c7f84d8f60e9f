"""eAccounting customers compared with the Visma.net customer they update (pure)."""

from __future__ import annotations

from vismasync.mappings.vismanet_customers import customer_differs

CURRENT = {
    "number": "10002", "name": "Fjord AS", "status": "Active", "currencyId": "NOK",
    "mainAddress": {"addressLine1": "Storgata 1", "postalCode": "0150", "city": "Oslo",
                    "country": {"id": "NO", "name": "Norway"}},
    "mainContact": {"contactId": 7, "name": "Freja de Vries", "email": "freja@fjord.no"},
}  # fmt: skip


def test_a_payload_equal_to_what_visma_net_holds_is_no_change():
    payload = {
        "name": "Fjord AS", "status": "Active", "currencyId": "NOK",
        "mainAddress": {"overrideAddress": True, "addressLine1": "Storgata 1",
                        "postalCode": "0150", "city": "Oslo", "countryId": "NO"},
        "mainContact": {"name": "Freja de Vries", "email": "freja@fjord.no"},
    }  # fmt: skip
    assert not customer_differs(payload, CURRENT)


def test_any_field_the_payload_sets_that_differs_is_a_change():
    assert customer_differs({"mainContact": {"email": "new@fjord.no"}}, CURRENT)
    assert customer_differs({"mainAddress": {"countryId": "SE"}}, CURRENT)
    assert customer_differs({"vatRegistrationId": "NO123"}, CURRENT)
