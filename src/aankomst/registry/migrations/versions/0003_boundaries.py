"""The registry's own copy of municipality boundaries (``boundaries``): editor scopes are
checked against the municipality a resource's point lies in, also when no atlas is attached
(``aankomst registry boundaries --db ATLAS`` or ``registry init --db ATLAS`` fills it).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "boundaries",
        sa.Column("level", sa.String(32), primary_key=True),
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("layout", sa.String(32), nullable=False),
        sa.Column("geometry", sa.LargeBinary(), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("boundaries")
