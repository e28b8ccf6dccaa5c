"""History schema: scenes, investigations, queries, zoom steps, results, feedback.

Revision ID: 5ab0c1384e9f
Revises:
Create Date: 2026-11-23 13:35:51.123599
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "5ab0c1384e9f"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the tables (and, on PostgreSQL, the postgis extension they need)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "investigations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=512), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investigations")),
        sa.UniqueConstraint("thread_id", name=op.f("uq_investigations_thread_id")),
    )
    op.create_geospatial_table(
        "scenes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("bands", sa.Integer(), nullable=False),
        sa.Column("crs", sa.Text(), nullable=True),
        sa.Column("transform", sa.JSON(), nullable=True),
        sa.Column(
            "footprint",
            Geometry(
                geometry_type="POLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("acquired", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenes")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_scenes_content_hash")),
    )
    op.create_geospatial_index(
        "idx_scenes_footprint",
        "scenes",
        ["footprint"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )

    op.create_table(
        "queries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("investigation_id", sa.Integer(), nullable=True),
        sa.Column("scene_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "granularity",
            sa.Enum(
                "image",
                "region",
                "pixel",
                name="granularity",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("p_image", sa.Float(), nullable=False),
        sa.Column("p_region", sa.Float(), nullable=False),
        sa.Column("p_pixel", sa.Float(), nullable=False),
        sa.Column("model_versions", sa.JSON(), nullable=False),
        sa.Column("pixels", sa.Integer(), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "ok",
                "failed",
                name="query_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "pixels >= 0 AND tokens >= 0", name=op.f("ck_queries_budget_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_queries_investigation_id_investigations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["scene_id"], ["scenes.id"], name=op.f("fk_queries_scene_id_scenes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queries")),
        sa.UniqueConstraint("request_id", name=op.f("uq_queries_request_id")),
    )
    op.create_index(op.f("ix_queries_created_at"), "queries", ["created_at"], unique=False)
    op.create_index(
        op.f("ix_queries_investigation_id"), "queries", ["investigation_id"], unique=False
    )
    op.create_index(op.f("ix_queries_scene_id"), "queries", ["scene_id"], unique=False)

    op.create_geospatial_table(
        "results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "answer",
                "box",
                "mask",
                name="result_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("label", sa.String(length=256), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("geom_scene_wkb", sa.LargeBinary(), nullable=True),
        sa.Column("x0", sa.Integer(), nullable=True),
        sa.Column("y0", sa.Integer(), nullable=True),
        sa.Column("x1", sa.Integer(), nullable=True),
        sa.Column("y1", sa.Integer(), nullable=True),
        sa.Column("area_m2", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("area_m2 >= 0", name=op.f("ck_results_area_not_negative")),
        sa.CheckConstraint(
            "confidence >= 0 AND confidence <= 1", name=op.f("ck_results_confidence_in_0_1")
        ),
        sa.ForeignKeyConstraint(
            ["query_id"],
            ["queries.id"],
            name=op.f("fk_results_query_id_queries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_results")),
    )
    op.create_geospatial_index(
        "idx_results_geom",
        "results",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_results_created_at"), "results", ["created_at"], unique=False)
    op.create_index(
        op.f("ix_results_label_created_at"), "results", ["label", "created_at"], unique=False
    )
    op.create_index(op.f("ix_results_query_id"), "results", ["query_id"], unique=False)

    op.create_geospatial_table(
        "zoom_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query_id", sa.Integer(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("x0", sa.Integer(), nullable=False),
        sa.Column("y0", sa.Integer(), nullable=False),
        sa.Column("x1", sa.Integer(), nullable=False),
        sa.Column("y1", sa.Integer(), nullable=False),
        sa.Column(
            "footprint",
            Geometry(
                geometry_type="POLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("score", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["query_id"],
            ["queries.id"],
            name=op.f("fk_zoom_steps_query_id_queries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zoom_steps")),
        sa.UniqueConstraint(
            "query_id", "depth", "rank", name=op.f("uq_zoom_steps_query_id_depth_rank")
        ),
    )
    op.create_geospatial_index(
        "idx_zoom_steps_footprint",
        "zoom_steps",
        ["footprint"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )

    op.create_geospatial_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column(
            "verdict",
            sa.Enum(
                "accept",
                "reject",
                "correct",
                name="verdict",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "geom",
            Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("analyst", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["results.id"],
            name=op.f("fk_feedback_result_id_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_geospatial_index(
        "idx_feedback_geom",
        "feedback",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_feedback_result_id"), "feedback", ["result_id"], unique=False)


def downgrade() -> None:
    """Drop the tables (the postgis extension stays: other databases may share it)."""
    op.drop_index(op.f("ix_feedback_result_id"), table_name="feedback")
    op.drop_geospatial_index(
        "idx_feedback_geom", table_name="feedback", postgresql_using="gist", column_name="geom"
    )

    op.drop_geospatial_table("feedback")
    op.drop_geospatial_index(
        "idx_zoom_steps_footprint",
        table_name="zoom_steps",
        postgresql_using="gist",
        column_name="footprint",
    )

    op.drop_geospatial_table("zoom_steps")
    op.drop_index(op.f("ix_results_query_id"), table_name="results")
    op.drop_index(op.f("ix_results_label_created_at"), table_name="results")
    op.drop_index(op.f("ix_results_created_at"), table_name="results")
    op.drop_geospatial_index(
        "idx_results_geom", table_name="results", postgresql_using="gist", column_name="geom"
    )

    op.drop_geospatial_table("results")
    op.drop_index(op.f("ix_queries_scene_id"), table_name="queries")
    op.drop_index(op.f("ix_queries_investigation_id"), table_name="queries")
    op.drop_index(op.f("ix_queries_created_at"), table_name="queries")

    op.drop_table("queries")
    op.drop_geospatial_index(
        "idx_scenes_footprint",
        table_name="scenes",
        postgresql_using="gist",
        column_name="footprint",
    )

    op.drop_geospatial_table("scenes")
    op.drop_table("investigations")
