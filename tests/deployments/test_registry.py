"""Deployments per integration: several company pairs on one installation."""

from __future__ import annotations

from prefect.utilities.callables import parameter_schema

from vismasync.config.integrations import load_integration
from vismasync.deployments.demo_integration import write_demo_config
from vismasync.deployments.registry import all_specs, to_deployment


def test_every_integration_gets_its_own_deployments(tmp_path, monkeypatch):
    monkeypatch.setenv("VISMASYNC_CONFIG_DIR", str(tmp_path))
    for name in ("north", "south"):
        write_demo_config(tmp_path, name, "http://127.0.0.1:1", "http://127.0.0.1:2")
    south = tmp_path / "south.yaml"
    south.write_text(
        south.read_text().replace("  stock:\n    enabled: true", "  stock:\n    enabled: false")
    )

    specs = list(all_specs())

    by_integration = {}
    for spec in specs:
        by_integration.setdefault(spec.integration, []).append(spec.flow)
    enabled = {name: load_integration(name).flows.enabled() for name in ("north", "south")}
    assert "stock" in enabled["north"] and "stock" not in enabled["south"]
    for name, flows in by_integration.items():
        assert flows == [*enabled[name], "reconcile", "retry_failed", "maintenance"]

    deployment = to_deployment(next(s for s in specs if s.integration == "south"))
    assert deployment.name == "south"
    assert deployment.parameters == {"integration": "south"}
    assert "integration:south" in deployment.tags
    assert deployment.concurrency_limit == 1  # one run at a time per flow and integration
    assert deployment.concurrency_options.collision_strategy == "ENQUEUE"
    assert deployment.schedules  # the integration's schedule
    # The UI's run form is built from the flow's typed parameters.
    schema = parameter_schema(specs[0].load_flow())
    assert schema.properties["dry_run"]["type"] == "boolean"
    assert schema.properties["limit"]["anyOf"][0]["type"] == "integer"


def test_prefect_yaml_declares_what_serve_serves_for_the_demo(tmp_path, monkeypatch):
    """The work-pool path and `vismasync serve` offer the same deployments."""
    from pathlib import Path

    from ruamel.yaml import YAML

    monkeypatch.setenv("VISMASYNC_CONFIG_DIR", str(tmp_path))
    write_demo_config(tmp_path, "demo", "http://127.0.0.1:1", "http://127.0.0.1:2")
    declared = YAML(typ="safe", pure=True).load(
        (Path(__file__).parents[2] / "prefect.yaml").read_text()
    )["deployments"]

    entrypoints = {d["entrypoint"].replace("/", ".").replace(".py:", ":") for d in declared}
    served = {spec.entrypoint for spec in all_specs()}
    assert entrypoints == served
    by_flow = {d["tags"][2].removeprefix("flow:"): d for d in declared}
    maintenance = next(spec for spec in all_specs() if spec.flow == "maintenance")
    assert by_flow["maintenance"]["schedules"] == [{"cron": maintenance.schedule.cron}]
