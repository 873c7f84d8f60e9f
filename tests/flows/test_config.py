"""Integration configuration: every error names its key; secrets are never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from vismasync.config.loader import ConfigError, load_config, parse_config
from vismasync.config.model import IntegrationConfig
from vismasync.config.secrets import SecretRef, SecretResolutionError
from vismasync.mappings.value_maps import ValueMap

EXAMPLE = Path(__file__).parents[2] / "docs" / "example-integration.yaml"

MINIMAL = """
name: acme
eaccounting:
  client_id: c
  client_secret: env:EA_SECRET
  redirect_uri: https://localhost/callback
vismanet:
  client_id: v
  client_secret: env:VN_SECRET
  tenant_id: 42
"""


def _issues(text: str) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    return {issue.path: issue.message for issue in caught.value.issues}


def test_documented_example_is_valid():
    config = load_config(EXAMPLE)
    assert config.name == "acme"
    assert config.flows.enabled() == ["sales_orders", "customers", "products"]
    assert config.flows.sales_orders.branch.for_country("NO") == "2"
    assert config.flows.sales_orders.branch.for_country("FI") == "1"


def test_example_documents_every_key():
    """Each setting of the model appears in the commented example file."""
    text = EXAMPLE.read_text()

    def keys(model) -> set[str]:
        names = set()
        for name, field in model.model_fields.items():
            names.add(name)
            annotation = field.annotation
            for candidate in getattr(annotation, "__args__", (annotation,)):
                if isinstance(candidate, type) and hasattr(candidate, "model_fields"):
                    names |= keys(candidate)
        return names

    missing = sorted(key for key in keys(IntegrationConfig) if f"{key}:" not in text)
    assert missing == []


def test_minimal_config_gets_defaults_and_coerces_codes():
    config = parse_config(MINIMAL)
    assert config.vismanet.tenant_id == "42"
    assert config.flows.enabled() == ["sales_orders"]
    assert config.flows.sales_orders.statuses == ["Shipped"]


def test_each_error_names_its_dotted_key():
    text = (
        MINIMAL.replace("tenant_id: 42", "tenant_id: 42\n  colour: blue")
        + """
flows:
  sales_orders:
    target_document: fax
    branch: {by_country: {SE: "1"}}
    schedule: {cron: "* * *"}
    value_maps:
      tax_code: {force: true}
    field_mappings:
      - target: description
        expression: "1 +"
  stock:
    quantity: lots
"""
    )
    issues = _issues(text)

    assert set(issues) == {
        "vismanet.colour",
        "flows.sales_orders.target_document",
        "flows.sales_orders.branch.default",
        "flows.sales_orders.schedule",
        "flows.sales_orders.value_maps.tax_code",
        "flows.sales_orders.field_mappings[0]",
        "flows.stock.quantity",
    }
    assert "not a known setting" in issues["vismanet.colour"]
    assert "'sales_order' or 'customer_invoice'" in issues["flows.sales_orders.target_document"]
    assert "'fax'" in issues["flows.sales_orders.target_document"]
    assert "required" in issues["flows.sales_orders.branch.default"]
    assert "five fields" in issues["flows.sales_orders.schedule"]
    assert "default" in issues["flows.sales_orders.value_maps.tax_code"]
    assert "not a valid expression" in issues["flows.sales_orders.field_mappings[0]"]


def test_missing_sections_are_named():
    issues = _issues("name: acme\n")
    assert issues == {
        "eaccounting": "is required but missing",
        "vismanet": "is required but missing",
    }


def test_invalid_yaml_reports_line():
    with pytest.raises(ConfigError, match="line 2"):
        parse_config("name: acme\n  bad: [indent\n")


def test_a_pasted_secret_is_rejected_and_never_echoed():
    text = MINIMAL.replace("env:EA_SECRET", "s3cr3t-pasted-value")
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    assert "eaccounting.client_secret" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


def test_secrets_never_appear_in_repr_or_logs(monkeypatch, caplog):
    monkeypatch.setenv("EA_SECRET", "top-secret-value")
    config = parse_config(MINIMAL)
    logging.getLogger("test").warning("config: %r %s", config, config.model_dump())

    resolved = config.eaccounting.client_secret.resolve()

    assert resolved.get_secret_value() == "top-secret-value"
    for text in (repr(config), str(config.model_dump()), caplog.text, repr(resolved)):
        assert "top-secret-value" not in text
    assert "env:EA_SECRET" in repr(config)


def test_unset_secret_names_the_variable_not_a_value(monkeypatch):
    monkeypatch.delenv("VN_SECRET", raising=False)
    with pytest.raises(SecretResolutionError, match="VN_SECRET"):
        SecretRef("env:VN_SECRET").resolve()


def test_value_map_table_default_and_force():
    plain = ValueMap(table={"25": "1"}, default="9")
    forced = ValueMap(table={"25": "1"}, default="9", force=True)
    assert plain.map("25") == "1"
    assert plain.map("12") == "9"
    assert plain.map(None) == "9"
    assert forced.map("25") == "9"
    assert ValueMap(table={"a": "b"}).map("x") is None


@pytest.mark.parametrize(
    ("flow", "target", "expected"),
    [
        ("customers", "Notez", "did you mean 'Note'"),
        ("sales_orders", "salesPerson", "not a field vismasync writes to vismanet sales_orders"),
        ("products", "Colour", "not a field vismasync writes to eaccounting articles"),
        ("stock", "StockBalance", "writes no fields a mapping could set"),
    ],
)
def test_a_field_mapping_target_outside_the_write_model_is_named(flow, target, expected):
    branch = "\n    branch: {default: '1'}" if flow == "sales_orders" else ""
    text = (
        MINIMAL
        + f"""
flows:
  {flow}:{branch}
    field_mappings:
      - target: {target}
        source: x
"""
    )
    issues = _issues(text)

    assert list(issues) == [f"flows.{flow}"]
    assert "field_mappings[0].target" in issues[f"flows.{flow}"]
    assert expected in issues[f"flows.{flow}"]


def test_targets_of_the_write_model_are_accepted():
    text = (
        MINIMAL
        + """
flows:
  sales_orders:
    branch: {default: '1'}
    field_mappings:
      - {target: soBillingAddress.addressLine1, source: InvoiceAddress1}
      - {target: "lines[0].lineDescription", source: YourReference, clear: true}
  customers:
    field_mappings: [{target: Note, source: number}]
"""
    )
    config = parse_config(text)

    assert config.flows.sales_orders.field_mappings[1].clear


@pytest.mark.parametrize(
    ("settings", "both_keys"),
    [
        ("statuses: [Shipped]\n    financial_mutation: {enabled: true, debit_account: '1930', "
         "credit_account: '1510'}", ("financial_mutation.enabled", "statuses")),
        ("target_document: customer_invoice\n    warehouse: MAIN",
         ("warehouse", "target_document")),
        ("target_document: customer_invoice\n    value_maps: {shipping_methods: {default: PN}}",
         ("shipping_methods", "target_document")),
    ],
)  # fmt: skip
def test_a_setting_that_cannot_take_effect_names_both_keys(settings, both_keys):
    text = (
        MINIMAL
        + f"""
flows:
  sales_orders:
    branch: {{default: '1'}}
    {settings}
"""
    )
    issues = _issues(text)

    message = issues["flows.sales_orders"]
    assert all(key in message for key in both_keys), message


def _country_keyed_tables(model, path=()) -> list[tuple[str, ...]]:
    """Dotted paths of every setting keyed by country code, found in the model itself."""
    found = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if "by_country" in name:
            found.append((*path, name))
        for candidate in getattr(annotation, "__args__", (annotation,)):
            if isinstance(candidate, type) and hasattr(candidate, "model_fields"):
                found += _country_keyed_tables(candidate, (*path, name))
    return found


def test_country_codes_are_strings_in_every_country_keyed_table():
    """YAML 1.2: Norway's NO (and on/yes/off) are strings, never booleans."""
    tables = _country_keyed_tables(IntegrationConfig)
    assert len(tables) >= 5
    data: dict = {}
    for path in tables:
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
        if path[-1] == "by_country":  # a table of its own, beside its default
            node.update({"default": "1", "by_country": {}})
        else:  # a value map
            node[path[-1]] = {"table": {}}
    lines = []

    def render(node: dict, indent: int) -> None:
        for key, value in node.items():
            if key in ("table", "by_country"):
                lines.append(" " * indent + f"{key}: {{NO: '2', SE: '1', on: '3', YES: '4'}}")
            elif isinstance(value, dict):
                lines.append(" " * indent + f"{key}:")
                render(value, indent + 2)
            else:
                lines.append(" " * indent + f"{key}: '{value}'")

    render(data, 0)
    config = parse_config(MINIMAL + "\n".join(lines) + "\n")

    for path in tables:
        node = config
        for part in path:
            node = getattr(node, part)
        table = node if path[-1] == "by_country" else node.table
        assert table == {"NO": "2", "SE": "1", "on": "3", "YES": "4"}, path
    assert config.flows.sales_orders.branch.for_country("NO") == "2"


def test_yaml_1_1_booleans_are_not_booleans_and_true_still_is():
    config = parse_config(MINIMAL + "flows:\n  stock: {enabled: false}\n")
    assert config.flows.stock.enabled is False
    issues = _issues(MINIMAL + "flows:\n  stock: {enabled: true, enabled: false}\n")
    assert any("duplicate key" in message for message in issues.values())
