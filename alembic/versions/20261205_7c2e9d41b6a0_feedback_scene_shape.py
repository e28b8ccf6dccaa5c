"""Feedback keeps a corrected shape in the scene's own frame: scenes without a CRS get corrections.

Revision ID: 7c2e9d41b6a0
Revises: 5ab0c1384e9f
Create Date: 2026-12-05 06:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c2e9d41b6a0"
down_revision: str | None = "5ab0c1384e9f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``feedback.geom_scene_wkb`` (the corrected shape in the scene CRS, or in pixels)."""
    op.add_column("feedback", sa.Column("geom_scene_wkb", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    """Drop ``feedback.geom_scene_wkb``."""
    # A plain DROP COLUMN (SQLite ≥ 3.35): a batch copy would lose SpatiaLite's registration
    # of the table's geometry column.
    op.drop_column("feedback", "geom_scene_wkb")
