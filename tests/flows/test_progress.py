"""Live progress: per entity on the command line, and a Prefect progress artifact per run."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner

from vismasync.deployments.cli import app
from vismasync.engine import progress as progress_module


async def _progress_artifacts(key: str) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async with get_client() as client:
        return await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )


def test_a_run_shows_progress_per_entity_within_80_columns(demo, monkeypatch):
    monkeypatch.setattr(progress_module, "REPORT_EVERY", 0.0)
    path = demo.config_dir / f"{demo.name}.yaml"
    path.write_text(path.read_text().replace("  customers:\n", "  customers:\n    batch_size: 5\n"))

    outcome = CliRunner(env={"COLUMNS": "80"}).invoke(
        app, ["run", "customers", "--integration", demo.name, "--since", "2020-01-01"]
    )

    assert outcome.exit_code in (0, 1), outcome.output
    reports = [line for line in outcome.output.splitlines() if "written" in line]
    assert len(reports) >= 3  # one per batch of 5
    assert all(len(line) <= 80 for line in outcome.output.splitlines() if "written" in line)
    assert "% done, about" in outcome.output  # a read with a known extent gets an ETA
    first, last = reports[0], reports[-1]
    assert first.strip().startswith("customer: read 5,")
    assert int(last.split("read ")[1].split(",")[0]) > 5

    artifacts = asyncio.run(_progress_artifacts(f"{demo.name}-customers-progress"))
    assert artifacts and artifacts[0].type == "progress"
    assert float(artifacts[0].data) == 100.0
    assert "customer: read" in artifacts[0].description
