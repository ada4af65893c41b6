"""Exchange of practices between OCMWs (``aankomst.registry.practices``): practices, their
target groups and links; ``audit_log.practice_id`` (changes of practices are audited like those
of resources); ``terms.label_fr`` (French taxonomy labels).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("terms", sa.Column("label_fr", sa.String(200), nullable=True))
    op.add_column("audit_log", sa.Column("practice_id", sa.Integer(), nullable=True))
    op.create_index("ix_audit_log_practice_id", "audit_log", ["practice_id"])
    op.create_table(
        "practices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("ocmw_code", sa.String(16), nullable=False),
        sa.Column("domain", sa.String(40), nullable=False),
        sa.Column("approach", sa.Text(), nullable=False),
        sa.Column("results", sa.Text(), nullable=False),
        sa.Column("contact_name", sa.String(200), nullable=False),
        sa.Column("contact_email", sa.String(200), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_practices_ocmw_code", "practices", ["ocmw_code"])
    op.create_index("ix_practices_domain", "practices", ["domain"])
    op.create_table(
        "practice_targets",
        sa.Column("practice_id", sa.Integer(), sa.ForeignKey("practices.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("target_group", sa.String(40), primary_key=True),
    )
    op.create_table(
        "practice_links",
        sa.Column("practice_id", sa.Integer(), sa.ForeignKey("practices.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("url", sa.String(500), primary_key=True),
        sa.Column("label", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("practice_links")
    op.drop_table("practice_targets")
    op.drop_index("ix_practices_domain", table_name="practices")
    op.drop_index("ix_practices_ocmw_code", table_name="practices")
    op.drop_table("practices")
    op.drop_index("ix_audit_log_practice_id", table_name="audit_log")
    with op.batch_alter_table("audit_log") as b:
        b.drop_column("practice_id")
    with op.batch_alter_table("terms") as b:
        b.drop_column("label_fr")
