"""Initial schema: integration, ledger, watermark, target_index, oauth_token.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        )
    ]


def _integration_fk() -> sa.Column:
    return sa.Column(
        "integration_id",
        sa.Integer,
        sa.ForeignKey("integration.id", ondelete="CASCADE"),
        primary_key=True,
    )


def upgrade() -> None:
    op.create_table(
        "integration",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
    )
    op.create_table(
        "ledger",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "integration_id",
            sa.Integer,
            sa.ForeignKey("integration.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("flow", sa.String(50), nullable=False),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("source_key", sa.String(200), nullable=False),
        sa.Column("target_key", sa.String(200)),
        sa.Column("content_hash", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_class", sa.String(20)),
        sa.Column("message", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("run_id", sa.String(64)),
        sa.Column("source_changed_at", sa.DateTime(timezone=True)),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        *_timestamps(),
        sa.UniqueConstraint("integration_id", "flow", "entity", "source_key", name="uq_ledger_key"),
        sa.CheckConstraint(
            "status IN ('pending', 'in_flight', 'done', 'skipped', 'failed')",
            name="ck_ledger_status",
        ),
    )
    op.create_index("ix_ledger_status", "ledger", ["integration_id", "flow", "entity", "status"])
    op.create_table(
        "watermark",
        _integration_fk(),
        sa.Column("flow", sa.String(50), primary_key=True),
        sa.Column("entity", sa.String(50), primary_key=True),
        sa.Column("cursor", sa.DateTime(timezone=True), nullable=False),
        *_timestamps(),
    )
    op.create_table(
        "target_index",
        _integration_fk(),
        sa.Column("system", sa.String(30), primary_key=True),
        sa.Column("entity", sa.String(50), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("target_id", sa.String(200), nullable=False),
        sa.Column("content_hash", sa.String(64)),
        sa.Column("modified_at", sa.DateTime(timezone=True)),
        *_timestamps(),
    )
    op.create_table(
        "oauth_token",
        _integration_fk(),
        sa.Column("system", sa.String(30), primary_key=True),
        sa.Column("access_token_encrypted", sa.Text, nullable=False),
        sa.Column("refresh_token_encrypted", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        *_timestamps(),
    )


def downgrade() -> None:
    for table in ("oauth_token", "target_index", "watermark", "ledger", "integration"):
        op.drop_table(table)
