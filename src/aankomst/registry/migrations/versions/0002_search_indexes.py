"""Indexes for the search endpoints: resources by name (ordered listing) and links by code;
drop the index on ``deleted_at`` (almost all rows are NULL: it misled SQLite's planner into
scanning every row instead of using the lat/lon index for ``near=`` searches).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_resources_name", "resources", ["name", "id"])
    op.create_index("ix_resource_terms_code_resource", "resource_terms", ["vocabulary", "code", "resource_id"])
    op.create_index("ix_resources_validity", "resources", ["valid_from", "valid_to"])
    op.drop_index("ix_resources_deleted", "resources")


def downgrade() -> None:
    op.create_index("ix_resources_deleted", "resources", ["deleted_at"])
    op.drop_index("ix_resources_validity", "resources")
    op.drop_index("ix_resource_terms_code_resource", "resource_terms")
    op.drop_index("ix_resources_name", "resources")
