"""items.note and an index on items.qty

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

# A pause of a known length after the column is added: on PostgreSQL the
# ALTER's lock is held through it (one transaction), so the rehearsal must
# report writes to items blocked for about this long.
PAUSE = {"postgresql": "SELECT pg_sleep(0.4)", "mysql": "SELECT SLEEP(0.4)"}


def upgrade():
    op.add_column("items", sa.Column("note", sa.String(40)))
    pause = PAUSE.get(op.get_bind().dialect.name)
    if pause:
        op.execute(pause)
    op.create_index("items_qty", "items", ["qty"])


def downgrade():
    op.drop_index("items_qty", table_name="items")
    op.drop_column("items", "note")
