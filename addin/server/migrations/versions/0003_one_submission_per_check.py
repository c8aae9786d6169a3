"""One submission per check: the same check submitted twice at once must not become two versions."""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_submissions_check_id", "submissions", ["check_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_submissions_check_id", "submissions")
