"""Failure alerts: Prefect notification blocks and automations, created idempotently.

Per integration with ``alerts`` configured, two automations:
- "run failed": a flow run of this integration (tag ``integration:<name>``) enters Failed or
  Crashed -> notify with the flow, the run and the failure reason;
- "records failed": a run finished but some records failed (event
  ``vismasync.run.records-failed``, emitted by the run summary) -> notify with the counts.
Each is read by name, then updated or created, so running the setup again changes nothing.
"""

from __future__ import annotations

from typing import Any

from vismasync.config.model import AlertTarget, IntegrationConfig
from vismasync.engine.run import integration_tag
from vismasync.engine.summary import RECORDS_FAILED_EVENT, integration_resource


def _block(target: AlertTarget) -> Any:
    from prefect.blocks.notifications import (
        CustomWebhookNotificationBlock,
        MicrosoftTeamsWebhook,
        SlackWebhook,
    )

    url = target.url.resolve()
    if target.kind == "slack":
        return SlackWebhook(url=url, allow_private_urls=target.allow_private_network)
    if target.kind == "teams":
        return MicrosoftTeamsWebhook(url=url, allow_private_urls=target.allow_private_network)
    return CustomWebhookNotificationBlock(
        name="vismasync",
        url=url.get_secret_value(),
        json_data={"text": "{{subject}}\n{{body}}"},
        allow_private_urls=target.allow_private_network,
    )


def _upsert_automation(automation: Any) -> None:
    from prefect.automations import Automation

    try:
        existing = Automation.read(name=automation.name)
    except ValueError:
        existing = None
    if existing is None:
        automation.create()
        return
    automation.id = existing.id
    automation.update()


def setup_alerts(config: IntegrationConfig) -> int:
    """Create or update the blocks and automations of ``config``; returns how many automations
    now exist for it (0 when it has no alert targets)."""
    from prefect.automations import Automation
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import EventTrigger, Posture

    actions_failed, actions_records = [], []
    for index, target in enumerate(config.alerts):
        block_id = _block(target).save(f"vismasync-{config.name}-alert-{index}", overwrite=True)
        actions_failed.append(
            SendNotification(
                block_document_id=block_id,
                subject="vismasync {{ flow.name }} for "
                + config.name
                + ": run {{ flow_run.name }} {{ flow_run.state.name }}",
                body="Flow run {{ flow_run.name }} of {{ flow.name }} entered "
                "{{ flow_run.state.name }}: {{ flow_run.state.message }}\n{{ flow_run|ui_url }}",
            )
        )
        actions_records.append(
            SendNotification(
                block_document_id=block_id,
                subject="vismasync {{ event.payload.flow }} for "
                + config.name
                + ": {{ event.payload.failed }} record(s) failed",
                body="{{ event.payload.failed }} record(s) failed in {{ event.payload.flow }} "
                "({{ event.payload.counts }}). See `vismasync failures list --integration "
                + config.name
                + "` or the run's failure report.",
            )
        )
    if not config.alerts:
        return 0
    tag_resource = f"prefect.tag.{integration_tag(config.name)}"
    _upsert_automation(
        Automation(
            name=f"vismasync {config.name}: run failed",
            description="Notify when a flow run of this integration fails or crashes.",
            trigger=EventTrigger(
                expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
                match={"prefect.resource.id": "prefect.flow-run.*"},
                match_related={"prefect.resource.id": tag_resource},
                posture=Posture.Reactive,
                threshold=1,
                within=0,
            ),
            actions=actions_failed,
        )
    )
    _upsert_automation(
        Automation(
            name=f"vismasync {config.name}: records failed",
            description="Notify when a run of this integration finishes with failed records.",
            trigger=EventTrigger(
                expect={RECORDS_FAILED_EVENT},
                match={"prefect.resource.id": integration_resource(config.name)},
                posture=Posture.Reactive,
                threshold=1,
                within=0,
            ),
            actions=actions_records,
        )
    )
    return 2
