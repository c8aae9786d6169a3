"""Initial schema: settings, users, collections, units, checks, submissions."""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("settings", sa.Column("key", sa.String(64), primary_key=True), sa.Column("value", sa.Text()))
    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("username", sa.String(64), unique=True, nullable=False),
                    sa.Column("password_hash", sa.String(255), nullable=False),
                    sa.Column("created_at", sa.DateTime, nullable=False))
    op.create_table("collections", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("year", sa.Integer, nullable=False, index=True),
                    sa.Column("title", sa.String(200), nullable=False),
                    sa.Column("created_at", sa.DateTime, nullable=False))
    op.create_table("units", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id"), nullable=False, index=True),
                    sa.Column("position", sa.Integer, nullable=False),
                    sa.Column("name", sa.String(200), nullable=False),
                    sa.Column("key", sa.String(200), nullable=False),
                    sa.Column("parent", sa.String(200), nullable=False),
                    sa.Column("category", sa.String(100), nullable=False),
                    sa.Column("contact", sa.String(200), nullable=False),
                    sa.Column("token", sa.String(64), nullable=False, unique=True),
                    sa.UniqueConstraint("collection_id", "key"))
    op.create_table("checks", sa.Column("id", sa.String(64), primary_key=True),
                    sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=True, index=True),
                    sa.Column("file_key", sa.String(80), nullable=False, index=True),
                    sa.Column("original_name", sa.String(255), nullable=False),
                    sa.Column("status", sa.String(20), nullable=False),
                    sa.Column("result_json", sa.Text, nullable=False),
                    sa.Column("created_at", sa.DateTime, nullable=False))
    op.create_table("submissions", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False, index=True),
                    sa.Column("version", sa.Integer, nullable=False),
                    sa.Column("check_id", sa.String(64), sa.ForeignKey("checks.id"), nullable=False),
                    sa.Column("file_key", sa.String(80), nullable=False),
                    sa.Column("digest", sa.String(64), nullable=False),
                    sa.Column("submitted_at", sa.DateTime, nullable=False),
                    sa.UniqueConstraint("unit_id", "version"))


def downgrade() -> None:
    for name in ("submissions", "checks", "units", "collections", "users", "settings"):
        op.drop_table(name)
