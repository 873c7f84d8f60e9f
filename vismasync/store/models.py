"""Tables of the state database. No payloads: keys, hashes, timestamps and errors only."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class LedgerStatus(StrEnum):
    PENDING = "pending"  # seen at the source, not attempted yet in this version
    IN_FLIGHT = "in_flight"  # a write was started; its outcome is not recorded yet
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


# Statuses of a record that needs nothing until its source changes.
SETTLED = (LedgerStatus.DONE, LedgerStatus.SKIPPED)


# Settled rows no longer hold the watermark back; failed rows are settled because the failure
# queue retries them by key, so one bad record cannot stall a flow forever.
UNSETTLED_STATUSES = (LedgerStatus.PENDING, LedgerStatus.IN_FLIGHT)


def _now_default() -> sa.TextClause:
    return sa.text("now()")


class Integration(Base):
    """One company pair (an eAccounting company and a Visma.net company)."""

    __tablename__ = "integration"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=_now_default()
    )


class LedgerRow(Base):
    """The sync ledger: one row per source record a flow has seen."""

    __tablename__ = "ledger"
    __table_args__ = (
        sa.UniqueConstraint("integration_id", "flow", "entity", "source_key", name="uq_ledger_key"),
        sa.CheckConstraint(
            "status IN ('pending', 'in_flight', 'done', 'skipped', 'failed')",
            name="ck_ledger_status",
        ),
        sa.Index("ix_ledger_status", "integration_id", "flow", "entity", "status"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    integration_id: Mapped[int] = mapped_column(sa.ForeignKey("integration.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(sa.String(50))
    entity: Mapped[str] = mapped_column(sa.String(50))
    source_key: Mapped[str] = mapped_column(sa.String(200))
    target_key: Mapped[str | None] = mapped_column(sa.String(200))
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16))
    error_class: Mapped[str | None] = mapped_column(sa.String(20))
    message: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    run_id: Mapped[str | None] = mapped_column(sa.String(64))
    source_changed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=_now_default()
    )
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=_now_default()
    )


class Watermark(Base):
    """Per (integration, flow, entity): the source change time up to which all is settled."""

    __tablename__ = "watermark"

    integration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("integration.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    entity: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    cursor: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=_now_default()
    )


class TargetIndexEntry(Base):
    """Local index of target-system records (e.g. Visma.net SKUs, customers by e-mail)."""

    __tablename__ = "target_index"

    integration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("integration.id", ondelete="CASCADE"), primary_key=True
    )
    system: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    entity: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    target_id: Mapped[str] = mapped_column(sa.String(200))
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    modified_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=_now_default()
    )


class OAuthToken(Base):
    """The current OAuth token pair of one system, encrypted at rest."""

    __tablename__ = "oauth_token"

    integration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("integration.id", ondelete="CASCADE"), primary_key=True
    )
    system: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    access_token_encrypted: Mapped[str] = mapped_column(sa.Text)
    refresh_token_encrypted: Mapped[str] = mapped_column(sa.Text)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    version: Mapped[int] = mapped_column(sa.Integer)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=_now_default()
    )
