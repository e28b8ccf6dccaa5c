"""A query keeps the scale it read a scene without a CRS at, so its results get metric sizes.

Revision ID: 9d3f6a2c81e4
Revises: 7c2e9d41b6a0
Create Date: 2026-12-05 09:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d3f6a2c81e4"
down_revision: str | None = "7c2e9d41b6a0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``queries.scale_m`` and ``queries.scale_source`` (metres per pixel and where from)."""
    op.add_column("queries", sa.Column("scale_m", sa.Float(), nullable=True))
    op.add_column("queries", sa.Column("scale_source", sa.String(length=120), nullable=True))


def downgrade() -> None:
    """Drop the two columns."""
    # Plain DROP COLUMN (SQLite ≥ 3.35), as the previous revision explains.
    op.drop_column("queries", "scale_source")
    op.drop_column("queries", "scale_m")
