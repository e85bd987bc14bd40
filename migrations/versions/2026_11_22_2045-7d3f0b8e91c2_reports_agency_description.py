"""reports.agency_description: the description with the reporter's name masked

Agencies never see who reported. When the description names the reporter (as reporter.name
gives it), intake stores a copy with the name masked, and the agency side reads that copy.

Revision ID: 7d3f0b8e91c2
Revises: 5c1e9a7d2b40
Create Date: 2026-11-22 20:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7d3f0b8e91c2'
down_revision: str | Sequence[str] | None = '5c1e9a7d2b40'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("agency_description", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("agency_description")
