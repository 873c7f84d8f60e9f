"""`vismasync init`, `check` and `authorize` end to end against both emulators (real servers)
and real PostgreSQL: scripted and interactive setups, and what each broken setting reports."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from vismasync.deployments.cli import app
from vismasync.deployments.setup_assistant import code_from_redirect
from vismasync.emulators.common import ThreadedServer
from vismasync.emulators.eaccounting.backend import EAccountingBackend
from vismasync.emulators.eaccounting.seed import demo_seed
from vismasync.emulators.eaccounting.server import create_app as create_eaccounting_app
from vismasync.emulators.vismanet.server import create_app as create_vismanet_app
from vismasync.emulators.vismanet.service import VismaNetService
from vismasync.engine.clients import close_all
from vismasync.flows.catalog import FLOWS
from vismasync.store.database import reset_engine

runner = CliRunner(env={"COLUMNS": "250"})
EA_SECRET, VN_SECRET = "vismasync-demo-secret", "demo-secret"
REDIRECT = "http://localhost:8765/callback"


@dataclass
class Setup:
    name: str
    eaccounting: str
    vismanet: str
    config_dir: Path

    @property
    def path(self) -> Path:
        return self.config_dir / f"{self.name}.yaml"

    def connection_flags(self) -> list[str]:
        return [
            "--name",
            self.name,
            "--eaccounting-api-url",
            f"{self.eaccounting}/v2",
            "--eaccounting-identity-url",
            self.eaccounting,
            "--eaccounting-client-id",
            "vismasync-demo",
            "--vismanet-api-url",
            f"{self.vismanet}/API",
            "--vismanet-token-url",
            f"{self.vismanet}/connect/token",
            "--vismanet-client-id",
            "vismasync-demo",
        ]

    def scripted(self, *extra: str) -> list[str]:
        """A complete `init --yes` for the emulators."""
        return [
            "init",
            "--yes",
            *self.connection_flags(),
            "--auto-approve",
            "--eaccounting-client-secret",
            "env:TEST_EA_SECRET",
            "--vismanet-client-secret",
            "env:TEST_VN_SECRET",
            "--vismanet-tenant",
            "demo-company",
            *extra,
        ]

    def edit(self, old: str, new: str) -> None:
        text = self.path.read_text()
        assert old in text
        self.path.write_text(text.replace(old, new))

    def check(self) -> str:
        result = runner.invoke(app, ["check", "--integration", self.name])
        return f"exit {result.exit_code}\n{result.output}"


@pytest.fixture(scope="module")
def emulators() -> Iterator[tuple[str, str]]:
    with (
        ThreadedServer(create_eaccounting_app(EAccountingBackend(demo_seed()))) as ea,
        ThreadedServer(create_vismanet_app(VismaNetService("demo"))) as vn,
    ):
        yield ea.base_url, vn.base_url


@pytest.fixture
def setup(emulators, engine, integration, tmp_path, monkeypatch) -> Iterator[Setup]:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("VISMASYNC_CONFIG_DIR", str(tmp_path / "integrations"))
    monkeypatch.setenv("TEST_EA_SECRET", EA_SECRET)
    monkeypatch.setenv("TEST_VN_SECRET", VN_SECRET)
    reset_engine()
    close_all()
    yield Setup(integration, *emulators, tmp_path / "integrations")
    close_all()
    reset_engine()


def test_scripted_init_writes_a_config_that_validates_and_checks(setup):
    result = runner.invoke(
        app,
        setup.scripted(
            "--status",
            "Shipped",
            "--status",
            "Invoiced",
            "--branch",
            "2",
            "--warehouse",
            "MAIN",
            "--default-debtor",
            "10001",
            "--flow",
            "sales_orders",
            "--flow",
            "stock",
        ),
    )

    assert result.exit_code == 0, result.output
    assert f"Wrote {setup.path}" in result.output and "FAIL" not in result.output
    text = setup.path.read_text()
    assert EA_SECRET not in text and VN_SECRET not in text
    data = yaml.safe_load(text)
    assert data["eaccounting"]["client_secret"] == "env:TEST_EA_SECRET"
    assert data["vismanet"]["client_secret"] == "env:TEST_VN_SECRET"
    assert data["flows"]["sales_orders"] == {
        "enabled": True,
        "source_document": "order",
        "statuses": ["Shipped", "Invoiced"],
        "target_document": "sales_order",
        "order_type": "SO",
        "branch": {"default": "2"},
        "warehouse": "MAIN",
        "default_debtor": {"customer_number": "10001", "mode": "fallback"},
        # Offered from both companies: VAT rates to VAT categories, terms by their days.
        "value_maps": {
            "tax_code": {"table": {"25": "1", "12": "2", "6": "3", "0": "4"}},
            "payment_terms": {
                "table": {"10 dagar": "10", "30 dagar": "30"},
                "default": "30",
            },
        },
    }
    assert data["flows"]["stock"] == {
        "enabled": True,
        "warehouses": ["MAIN", "NORTH"],
        "quantity": "on_hand",
    }
    assert [data["flows"][f]["enabled"] for f in ("customers", "products", "stock")] == [
        False,
        False,
        True,
    ]
    validated = runner.invoke(app, ["config", "validate", str(setup.path)])
    assert validated.exit_code == 0, validated.output
    checked = setup.check()
    assert checked.startswith("exit 0"), checked
    for line in (
        "eAccounting token refresh: the refresh token works",
        "eAccounting GET /orders: allowed",
        "Visma.net token: tenant demo-company",
        "branch: 2 exists",
        "order type: SO exists",
        "warehouse: MAIN exists",
        "default debtor: 10001 exists",
    ):
        assert line in checked
    again = runner.invoke(app, setup.scripted())
    assert again.exit_code == 2
    assert "pass --overwrite to replace it" in again.output


def test_yes_mode_names_every_missing_flag_before_doing_anything(setup):
    result = runner.invoke(app, ["init", "--yes", "--name", setup.name])

    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: missing with --yes: --eaccounting-client-id, --eaccounting-client-secret, "
        "--vismanet-client-id, --vismanet-client-secret, --vismanet-tenant, --eaccounting-code"
    )
    assert not setup.path.exists()


def authorization_code(setup: Setup) -> str:
    """What a user gets after approving in a browser: the code in the redirect address."""
    query = {
        "client_id": "vismasync-demo",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "ea:api ea:sales ea:accounting offline_access",
        "state": "browser",
    }
    answer = httpx.get(f"{setup.eaccounting}/connect/authorize?{urlencode(query)}")
    return httpx.URL(answer.headers["location"]).params["code"]


def test_interactive_init_asks_again_after_a_wrong_answer_and_takes_a_pasted_code(setup):
    answers = [
        setup.name,
        "",  # the suggested reference: its variable is not set, so asked again
        "TEST_EA_SECRET",  # not a reference: asked again
        "env:TEST_EA_SECRET",
        "",  # redirect URI: default
        "env:TEST_VN_SECRET",
        "demo-company",
        authorization_code(setup),
        "y",
        "n",
        "n",
        "n",  # flows
        "",
        "",
        "",  # source document, statuses, target document: defaults
        "",  # order type SO
        "7",  # not a branch of the company: asked again
        "3",
        "",
        "",  # no warehouse, no default debtor
    ]
    flags = [f for f in setup.connection_flags() if f != setup.name and f != "--name"]
    flags.remove("--eaccounting-identity-url")
    flags.remove(setup.eaccounting)
    flags += ["--eaccounting-identity-url", setup.eaccounting]

    result = runner.invoke(app, ["init", *flags], input="\n".join(answers) + "\n")

    assert result.exit_code == 0, result.output
    assert "connect/authorize?client_id=vismasync-demo" in result.output
    assert "give a reference such as env:NAME or prefect-secret:NAME" in result.output
    data = yaml.safe_load(setup.path.read_text())
    assert data["flows"]["sales_orders"]["branch"] == {"default": "3"}
    assert data["flows"]["sales_orders"]["statuses"] == ["Shipped"]
    assert "warehouse" not in data["flows"]["sales_orders"]
    assert not data["flows"]["customers"]["enabled"]


def test_init_creates_a_prefect_secret_block_without_showing_the_secret(setup, prefect_server):
    from prefect.blocks.system import Secret

    block = f"vn-secret-{uuid.uuid4().hex[:8]}"
    flags = [
        *setup.connection_flags(),
        "--auto-approve",
        "--eaccounting-redirect-uri",
        REDIRECT,
        "--eaccounting-client-secret",
        "env:TEST_EA_SECRET",
        "--vismanet-tenant",
        "demo-company",
        "--flow",
        "sales_orders",
        "--status",
        "Shipped",
        "--source-document",
        "order",
        "--target-document",
        "sales_order",
        "--order-type",
        "SO",
        "--branch",
        "1",
        "--warehouse",
        "",
        "--default-debtor",
        "",
    ]

    result = runner.invoke(app, ["init", *flags], input=f"prefect-secret:{block}\ny\n{VN_SECRET}\n")

    assert result.exit_code == 0, result.output
    assert f"Saved the Prefect Secret block '{block}'." in result.output
    assert Secret.load(block).get() == VN_SECRET
    assert VN_SECRET not in result.output and VN_SECRET not in setup.path.read_text()
    assert yaml.safe_load(setup.path.read_text())["vismanet"]["client_secret"] == (
        f"prefect-secret:{block}"
    )


def test_check_says_what_to_fix(setup, monkeypatch):
    assert runner.invoke(app, setup.scripted("--warehouse", "MAIN")).exit_code == 0

    monkeypatch.setenv("TEST_VN_SECRET", "wrong")
    wrong_vn_secret = setup.check()
    monkeypatch.setenv("TEST_VN_SECRET", VN_SECRET)
    monkeypatch.setenv("TEST_EA_SECRET", "wrong")
    wrong_ea_secret = setup.check()
    monkeypatch.delenv("TEST_EA_SECRET")
    unset_secret = setup.check()
    monkeypatch.setenv("TEST_EA_SECRET", EA_SECRET)
    setup.edit("tenant_id: demo-company", "tenant_id: other-company")
    wrong_tenant = setup.check()
    setup.edit("tenant_id: other-company", "tenant_id: demo-company")
    setup.edit("  - vismanet_erp_service_api:create\n", "")
    setup.edit("default: '1'", "default: '9'")
    scope_and_branch = setup.check()

    assert (
        "Visma.net token: Visma.net rejected the client id 'vismasync-demo' or its secret: "
        "check vismanet.client_id and the secret behind vismanet.client_secret "
        "(env:TEST_VN_SECRET)" in wrong_vn_secret
    )
    assert (
        "eAccounting token refresh: eAccounting rejected the client id 'vismasync-demo' or "
        "its secret" in wrong_ea_secret
    )
    assert (
        "eaccounting.client_secret resolvable: Secret env:TEST_EA_SECRET is not set: export "
        "the environment variable TEST_EA_SECRET." in unset_secret
    )
    assert (
        "Visma.net token: Visma.net refused the tenant 'other-company' for client "
        "'vismasync-demo': check vismanet.tenant_id" in wrong_tenant
    )
    assert (
        "vismanet.scopes fit the enabled flows: add to vismanet.scopes: "
        "vismanet_erp_service_api:create (the sales_orders flow creates orders and customers)"
        in scope_and_branch
    )
    assert (
        "branch: flows.sales_orders.branch.default is '9', which is not a branch in "
        "Visma.net (nearest: 1, 2, 3)" in scope_and_branch
    )
    for output in (wrong_vn_secret, wrong_ea_secret, unset_secret, wrong_tenant, scope_and_branch):
        assert output.startswith("exit 1"), output
        assert output.count("FAIL") == (2 if output is scope_and_branch else 1), output
        assert EA_SECRET not in output and VN_SECRET not in output


def test_init_with_every_flow_checks_and_dry_runs_without_configuration_failures(
    setup, prefect_server
):
    every_flow = [arg for flow in FLOWS for arg in ("--flow", flow)]
    result = runner.invoke(app, setup.scripted("--status", "Shipped", *every_flow))

    assert result.exit_code == 0, result.output
    assert setup.check().startswith("exit 0")
    for command in ("orders", "customers", "products", "stock"):
        hint = f"vismasync run {command} --integration {setup.name} --dry-run"
        assert hint in result.output  # the closing hint names every flow enabled
        dry = runner.invoke(app, hint.split()[1:])
        assert dry.exit_code in (0, 1), dry.output
        assert "[config]" not in dry.output and "[auth]" not in dry.output, dry.output
        assert "[dry run]" in dry.output


def test_check_verifies_every_configured_target_value(setup):
    from vismasync.config.integrations import load_integration
    from vismasync.deployments.demo_integration import write_demo_config
    from vismasync.engine.clients import authorize_auto_approving_eaccounting

    write_demo_config(setup.config_dir, setup.name, setup.eaccounting, setup.vismanet)
    authorize_auto_approving_eaccounting(load_integration(setup.name))
    every_flow = setup.check()
    setup.edit("PCS: st,", "PCS: stt,")
    setup.edit('"1": Goods 25% VAT', '"1": Goods 26% VAT')
    setup.edit("terms_of_payment_id: 30 dagar", "terms_of_payment_id: 30 dagr")
    setup.edit('tax_code: {table: {"25": "1"', 'tax_code: {table: {"25": "7"')
    wrong = setup.check()

    assert every_flow.startswith("exit 0"), every_flow
    assert "FAIL" not in every_flow
    assert "unit st: st exists" in every_flow
    assert wrong.startswith("exit 1"), wrong
    assert wrong.count("FAIL") == 4, wrong
    assert (
        "flows.products.value_maps.unit.table.PCS is 'stt', which is not an eAccounting unit "
        "(nearest: st" in wrong
    )
    coding = (
        "flows.products.value_maps.account_coding.table.1 is 'Goods 26% VAT', which is not an "
        "eAccounting article account coding (nearest: "
    )
    assert coding in wrong
    assert "Goods 25% VAT" in wrong.split(coding)[1].split(")")[0]
    assert (
        "flows.customers.defaults.terms_of_payment_id is '30 dagr', which is not an eAccounting "
        "terms of payment (nearest: 30 dagar" in wrong
    )
    assert "flows.sales_orders.value_maps.tax_code.table.25 is '7', which is not a VAT" in wrong


def test_missing_eaccounting_scope_and_missing_authorization(setup):
    no_sales = runner.invoke(
        app,
        setup.scripted(
            "--eaccounting-scope",
            "ea:api",
            "--eaccounting-scope",
            "offline_access",
            "--eaccounting-scope",
            "ea:accounting",
        ),
    )

    assert no_sales.exit_code == 1
    assert "eAccounting GET /companysettings: refused (NoAccessToScopes" in no_sales.output
    assert (
        f"add it to eaccounting.scopes, then authorize again: `vismasync authorize "
        f"--integration {setup.name}`" in no_sales.output
    )
    assert (
        "eaccounting.scopes fit the enabled flows: every flow reads eAccounting sales "
        "data: add ea:sales (or ea:sales_readonly)" in no_sales.output
    )
    assert not setup.path.exists()

    assert runner.invoke(app, setup.scripted()).exit_code == 0
    other = setup.config_dir / "copy.yaml"
    other.write_text(setup.path.read_text().replace(f"name: {setup.name}", "name: copy"))
    unauthorized = runner.invoke(app, ["check", "--integration", "copy"])
    authorized = runner.invoke(app, ["authorize", "--integration", "copy", "--auto-approve"])
    every = runner.invoke(app, ["check"])

    assert unauthorized.exit_code == 1
    assert (
        "eAccounting authorized: no eAccounting tokens are stored for 'copy': authorize "
        "once: `vismasync authorize --integration copy`" in unauthorized.output
    )
    assert authorized.exit_code == 0, authorized.output
    assert every.exit_code == 0, every.output
    assert "copy" in every.output and setup.name in every.output


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        ("abc123", "abc123"),
        (f"{REDIRECT}?code=abc123&state=s1", "abc123"),
        ("code=abc123&state=s1", "abc123"),
        (f"{REDIRECT}?error=access_denied&state=s1", "eAccounting answered 'access_denied'"),
        (f"{REDIRECT}?code=abc123&state=other", "belongs to another authorization request"),
        (f"{REDIRECT}?state=s1", "carries no 'code' parameter"),
        ("  ", "nothing was pasted"),
    ],
)
def test_code_from_redirect(pasted, expected):
    if expected == "abc123":
        assert code_from_redirect(pasted, "s1") == expected
    else:
        with pytest.raises(ValueError, match=expected):
            code_from_redirect(pasted, "s1")


def test_check_verifies_the_order_key_fits_the_order_types_numbering(setup):
    from vismasync.config.integrations import load_integration
    from vismasync.deployments.demo_integration import write_demo_config
    from vismasync.engine.clients import authorize_auto_approving_eaccounting

    write_demo_config(setup.config_dir, setup.name, setup.eaccounting, setup.vismanet)
    authorize_auto_approving_eaccounting(load_integration(setup.name))
    manual = setup.check()
    setup.edit("order_key: auto", "order_key: order_id")
    setup.edit("order_numbering_id: SOORDER", "order_numbering_id: SOQUOTE")
    automatic = setup.check()
    setup.edit("order_numbering_id: SOQUOTE", "order_numbering_id: NOSUCH")
    missing = setup.check()

    assert "orders are keyed by order_id (SOORDER)" in manual, manual
    assert "the sequence SOQUOTE numbers automatically" in automatic, automatic
    assert "'NOSUCH', which is not a numbering sequence" in missing, missing
