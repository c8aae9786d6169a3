"""Failed logins carry the user name tried, for the per-account limit beside the per-address one."""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("login_attempts") as batch:
        batch.add_column(sa.Column("username", sa.String(64), nullable=True))
        batch.create_index("ix_login_attempts_username", ["username"])


def downgrade() -> None:
    with op.batch_alter_table("login_attempts") as batch:
        batch.drop_index("ix_login_attempts_username")
        batch.drop_column("username")
