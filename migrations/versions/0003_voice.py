"""Voice: audio storage and transcription jobs.

Revision ID: 0003_voice
Revises: 0002_knowledge
Create Date: 2026-11-29
"""

from alembic import op

revision = "0003_voice"
down_revision = "0002_knowledge"
branch_labels = None
depends_on = None

SQL = r"""
SELECT 1;
"""


def upgrade() -> None:
    op.get_bind().connection.driver_connection.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("forward-only: restore from a backup or a tenant export instead")
