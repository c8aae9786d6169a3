"""Failed login attempts, for the login rate limit."""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("login_attempts", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("address", sa.String(64), nullable=False, index=True),
                    sa.Column("at", sa.DateTime, nullable=False, index=True),
                    sa.Column("ok", sa.Boolean, nullable=False))


def downgrade() -> None:
    op.drop_table("login_attempts")
