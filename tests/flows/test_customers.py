"""The customer flow (Visma.net -> eAccounting) against both emulators and real PostgreSQL."""

from __future__ import annotations

from vismasync.flows.customers import sync_customers
from vismasync.store.database import get_engine
from vismasync.store.ledger import list_entries
from vismasync.store.models import LedgerStatus


def vn_customers(demo) -> dict[str, dict]:
    return demo.vn_service.backend().state.customers


def ea_customers_by_email(demo) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for customer in demo.ea_backend.store.data["customers"].values():
        if customer.get("EmailAddress"):
            found.setdefault(customer["EmailAddress"], []).append(customer)
    return found


def terms_id(demo, name: str) -> str:
    terms = demo.ea_backend.store.data["termsofpayments"].values()
    return next(t["Id"] for t in terms if t["Name"] == name)


def touch(demo, number: str, **changes) -> None:
    """Change a Visma.net customer as a user would: its change time moves."""
    state = demo.vn_service.backend().state
    state.customers[number] = {
        **state.customers[number],
        **changes,
        "lastModifiedDateTime": state.now(),
    }


def test_customers_are_matched_by_email_then_created_or_updated(demo):
    before = {email: list(c) for email, c in ea_customers_by_email(demo).items()}
    thirty_days = terms_id(demo, "30 dagar")
    source = vn_customers(demo)
    matched = [c for c in source.values() if c["mainContact"]["email"] in before]
    new = [c for c in source.values() if c["mainContact"]["email"] not in before]
    # Matched customers differ only where their terms differ (the demo seeds agree otherwise).
    stale = [
        c
        for c in matched
        if before[c["mainContact"]["email"]][0]["TermsOfPaymentId"] != thirty_days
    ]
    assert matched and new and stale and len(stale) < len(matched)

    result = sync_customers(demo.name)

    after = ea_customers_by_email(demo)
    for customer in source.values():
        (target,) = after[customer["mainContact"]["email"]]
        address = customer["mainAddress"]
        company = bool(customer.get("vatRegistrationId"))
        assert target["Name"] == customer["name"][:50]
        assert target["IsPrivatePerson"] is not company
        assert target["VatNumber"] == (customer.get("vatRegistrationId") if company else None)
        assert target["InvoiceAddress1"] == address["addressLine1"]
        assert (target["InvoicePostalCode"], target["InvoiceCity"]) == (
            address["postalCode"],
            address["city"],
        )
        assert target["InvoiceCountryCode"] == address["country"]["id"]
        assert target["CurrencyCode"] == customer["currencyId"]
        assert target["Telephone"] == customer["mainContact"]["phone1"]
        assert target["TermsOfPaymentId"] == thirty_days
    counts = demo.eaccounting.counts()
    assert counts[("POST", "/v2/customers")] == len(new)
    assert counts[("PUT", "/v2/customers/{customerId}")] == len(stale)
    assert (
        f"customer: read {len(source)}, created {len(new)}, updated {len(stale)}, "
        f"unchanged {len(matched) - len(stale)}, skipped 0, failed 0" in result["summary"]
    )
    done = list_entries(get_engine(), integration=demo.name, statuses=[LedgerStatus.DONE])
    by_email = {c["mainContact"]["email"]: n for n, c in source.items()}
    assert {e.source_key: e.target_key for e in done} == {
        by_email[email]: targets[0]["Id"] for email, targets in after.items() if email in by_email
    }


def test_second_run_writes_nothing_and_costs_one_list_call(demo):
    sync_customers(demo.name)
    demo.reset_counts()

    result = sync_customers(demo.name)

    assert demo.eaccounting.writes() == 0
    assert demo.vismanet.writes() == 0
    # Nothing changed: the records are dropped right after the read, before any lookup.
    assert demo.eaccounting.counts() == {}
    assert demo.vismanet.counts() == {("GET", "/API/v1/customer"): 1}
    assert "created 0, updated 0" in result["summary"]


def test_bad_customers_fail_alone_and_are_retried_once_fixed(demo):
    numbers = sorted(vn_customers(demo))
    no_email, no_city = numbers[3], numbers[15]
    touch(
        demo, no_email, mainContact={**vn_customers(demo)[no_email]["mainContact"], "email": None}
    )
    touch(demo, no_city, mainAddress={**vn_customers(demo)[no_city]["mainAddress"], "city": None})

    result = sync_customers(demo.name)

    failed = list_entries(get_engine(), integration=demo.name, statuses=[LedgerStatus.FAILED])
    messages = {e.source_key: e.message for e in failed}
    assert set(messages) == {no_email, no_city}
    assert result["failed"] == 2
    assert "no e-mail address (EmailAddress)" in messages[no_email]
    assert "no InvoiceCity" in messages[no_city]
    assert "flows.customers.defaults.invoice_city" in messages[no_city]
    done = list_entries(get_engine(), integration=demo.name, statuses=[LedgerStatus.DONE])
    assert len(done) == len(numbers) - 2

    # Fixed at the source: the failure queue retries it on the next run.
    city_customer = vn_customers(demo)[no_city]
    touch(demo, no_city, mainAddress={**city_customer["mainAddress"], "city": "Lund"})
    demo.reset_counts()
    sync_customers(demo.name)

    (target,) = ea_customers_by_email(demo)[city_customer["mainContact"]["email"]]
    assert target["InvoiceCity"] == "Lund"
    failed = list_entries(get_engine(), integration=demo.name, statuses=[LedgerStatus.FAILED])
    assert [e.source_key for e in failed] == [no_email]
    assert failed[0].attempts == 2


def test_an_update_keeps_the_fields_the_flow_does_not_map(demo):
    sync_customers(demo.name)
    number = sorted(vn_customers(demo))[-1]
    email = vn_customers(demo)[number]["mainContact"]["email"]
    (target,) = ea_customers_by_email(demo)[email]
    target["WwwAddress"] = "https://shop.example.com"
    target["Note"] = "Prefers deliveries before noon"
    touch(demo, number, name="Renamed Customer AB")
    demo.reset_counts()

    sync_customers(demo.name)

    (target,) = ea_customers_by_email(demo)[email]
    assert target["Name"] == "Renamed Customer AB"
    assert target["WwwAddress"] == "https://shop.example.com"
    assert target["Note"] == "Prefers deliveries before noon"
    assert demo.eaccounting.counts()[("PUT", "/v2/customers/{customerId}")] == 1


def test_dry_run_leaves_both_systems_and_the_ledger_untouched(demo):
    before = ea_customers_by_email(demo)
    new = [c for c in vn_customers(demo).values() if c["mainContact"]["email"] not in before]

    result = sync_customers(demo.name, dry_run=True)

    assert demo.eaccounting.writes() == 0
    assert demo.vismanet.writes() == 0
    assert list_entries(get_engine(), integration=demo.name) == []
    assert "[dry run]" in result["summary"]
    assert f"created {len(new)}," in result["summary"]


def test_run_customers_command_prints_the_summary(demo):
    from typer.testing import CliRunner

    from vismasync.deployments.cli import app

    runner = CliRunner(env={"COLUMNS": "250"})
    ok = runner.invoke(app, ["run", "customers", "--integration", demo.name, "--limit", "3"])

    assert ok.exit_code == 0, ok.output
    assert "customer: read 3," in ok.output


def test_a_first_run_costs_one_write_per_changed_customer_and_one_list_read(demo):
    state = demo.vn_service.backend().state
    template = state.customers["10001"]
    for n in range(30):  # more e-mails than one request can name: reading by them costs more
        number = str(20000 + n)
        state.customers[number] = {
            **template, "number": number, "internalId": 90000 + n, "name": f"Kund {n}",
            "mainContact": {**template["mainContact"], "email": f"kund.{n}@example.com"},
            "lastModifiedDateTime": state.now(),
        }  # fmt: skip
    before = ea_customers_by_email(demo)
    thirty_days = terms_id(demo, "30 dagar")
    source = vn_customers(demo)
    new = [c for c in source.values() if c["mainContact"]["email"] not in before]
    stale = [
        c for c in source.values() if c["mainContact"]["email"] in before
        and before[c["mainContact"]["email"]][0]["TermsOfPaymentId"] != thirty_days
    ]  # fmt: skip
    assert len(new) > 30 and stale

    sync_customers(demo.name)

    calls = {key: n for key, n in demo.eaccounting.counts().items()
             if not key[1].startswith("/connect/")}  # fmt: skip
    # The company's customers once (one page), the terms and the countries once, then only the
    # writes: one per new or changed customer, no lookup per customer.
    assert calls == {
        ("GET", "/v2/termsofpayments"): 1,
        ("GET", "/v2/countries"): 1,
        ("GET", "/v2/customers"): 1,
        ("POST", "/v2/customers"): len(new),
        ("PUT", "/v2/customers/{customerId}"): len(stale),
    }


def test_an_email_already_synced_from_another_customer_fails_alone_in_a_later_run(demo):
    numbers = sorted(vn_customers(demo))
    first, second = numbers[0], numbers[-1]
    sync_customers(demo.name, keys=[first])
    owner_email = vn_customers(demo)[first]["mainContact"]["email"]
    (target,) = ea_customers_by_email(demo)[owner_email]
    touch(demo, second, mainContact={**vn_customers(demo)[second]["mainContact"],
                                     "email": owner_email.upper()})  # fmt: skip
    before = {c["Id"]: dict(c) for c in demo.ea_backend.store.data["customers"].values()}
    demo.reset_counts()

    result = sync_customers(demo.name)

    failed = list_entries(get_engine(), integration=demo.name, statuses=[LedgerStatus.FAILED])
    assert [(e.source_key, e.error_class) for e in failed] == [(second, "data")]
    message = failed[0].message
    # Both customers named, and what to do.
    assert second in message and first in message and target["CustomerNumber"] in message
    assert "give each customer its own e-mail address in Visma.net" in message
    assert result["failed"] == 1
    # Never merged: the first customer's eAccounting customer is as it was.
    assert demo.ea_backend.store.data["customers"][target["Id"]] == before[target["Id"]]
    done = list_entries(get_engine(), integration=demo.name, statuses=[LedgerStatus.DONE])
    assert {e.target_key for e in done if e.source_key == first} == {target["Id"]}


def test_an_email_shared_across_batches_of_one_run_fails_the_later_customer(demo):
    config_file = next(iter(demo.config_dir.glob("*.yaml")))
    text = config_file.read_text()
    assert "  customers:\n" in text
    config_file.write_text(text.replace("  customers:\n", "  customers:\n    batch_size: 5\n", 1))
    source = vn_customers(demo)
    ordered = sorted(source, key=lambda n: (source[n]["lastModifiedDateTime"], n))
    early, late = ordered[0], ordered[-1]
    email = source[early]["mainContact"]["email"]
    state = demo.vn_service.backend().state
    state.customers[late] = {**source[late],
                             "mainContact": {**source[late]["mainContact"], "email": email},
                             "lastModifiedDateTime": state.now()}  # fmt: skip

    result = sync_customers(demo.name)

    failed = list_entries(get_engine(), integration=demo.name, statuses=[LedgerStatus.FAILED])
    assert [e.source_key for e in failed] == [late]
    assert early in failed[0].message and "own e-mail address" in failed[0].message
    assert result["failed"] == 1
    assert len(ea_customers_by_email(demo)[email]) == 1
