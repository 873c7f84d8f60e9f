"""The scale-out path: prefect.yaml deployed to a process work pool, run by a real worker."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from vismasync.config.integrations import load_integration
from vismasync.deployments.demo_integration import write_demo_config
from vismasync.engine.clients import authorize_auto_approving_eaccounting

ROOT = Path(__file__).parents[2]


def _prefect(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


async def _flow_run(flow_run_id):
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return await client.read_flow_run(flow_run_id)


def test_a_process_worker_runs_the_declared_deployment(demo, real_prefect_api):
    from prefect.deployments import run_deployment

    # prefect.yaml declares the deployments of the integration named "demo".
    write_demo_config(demo.config_dir, "demo", demo.eaccounting.base_url, demo.vismanet.base_url)
    authorize_auto_approving_eaccounting(load_integration("demo"))
    env = {**os.environ, "PREFECT_API_URL": real_prefect_api.api_url}

    created = _prefect("work-pool", "create", "vismasync", "--type", "process", "--overwrite",
                       env=env)  # fmt: skip
    assert created.returncode == 0, created.stdout + created.stderr
    deployed = _prefect("--no-prompt", "deploy", "--all", env=env)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr

    flow_run = run_deployment("sync-sales-orders/demo", timeout=0, parameters={"limit": 3})
    worker = _prefect("worker", "start", "--pool", "vismasync", "--run-once", env=env, timeout=300)
    assert worker.returncode == 0, worker.stdout + worker.stderr

    finished = asyncio.run(_flow_run(flow_run.id))
    assert finished.state.is_completed(), finished.state
    orders = demo.vn_service.backend().state.sales_orders
    assert 1 <= len(orders) <= 3


def test_vismasync_deploy_registers_every_integration_on_a_work_pool(demo, real_prefect_api):
    import uuid

    from prefect.deployments import run_deployment
    from typer.testing import CliRunner

    from vismasync.deployments.cli import app

    pool = f"vs-{uuid.uuid4().hex[:8]}"
    deployed = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["deploy", "--pool", pool])
    assert deployed.exit_code == 0, deployed.output
    assert f"sync-customers/{demo.name} on pool {pool}" in deployed.output
    assert f"maintenance/{demo.name} on pool {pool}" in deployed.output

    flow_run = run_deployment(f"sync-customers/{demo.name}", timeout=0, parameters={"limit": 3})
    env = {**os.environ, "PREFECT_API_URL": real_prefect_api.api_url, "PYTHONPATH": str(ROOT)}
    worker = _prefect("worker", "start", "--pool", pool, "--run-once", env=env, timeout=300)
    assert worker.returncode == 0, worker.stdout + worker.stderr

    finished = asyncio.run(_flow_run(flow_run.id))
    assert finished.state.is_completed(), finished.state
    from vismasync.store.database import get_engine
    from vismasync.store.ledger import list_entries

    rows = list_entries(get_engine(), integration=demo.name)
    assert 1 <= len(rows) <= 3  # the worker ran the flow on this integration's ledger
