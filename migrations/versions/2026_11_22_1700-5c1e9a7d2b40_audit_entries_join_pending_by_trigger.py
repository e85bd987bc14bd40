"""audit entries join the pending list by trigger

Every audit entry must wait in audit_pending until the sealer links it into the chain. A
trigger puts it there in the entry's own INSERT: the database keeps the rule, and intake saves
a statement.

Revision ID: 5c1e9a7d2b40
Revises: 63fb941117dd
Create Date: 2026-11-22 17:00:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '5c1e9a7d2b40'
down_revision: str | Sequence[str] | None = '63fb941117dd'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_FUNCTION = """
CREATE FUNCTION audit_entry_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_pending (entry_id) VALUES (NEW.id);
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute("CREATE TRIGGER audit_entries_pending AFTER INSERT ON audit_entries "
                   "FOR EACH ROW EXECUTE FUNCTION audit_entry_pending()")
    else:
        op.execute("CREATE TRIGGER audit_entries_pending AFTER INSERT ON audit_entries "
                   "BEGIN INSERT INTO audit_pending (entry_id) VALUES (NEW.id); END")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_entries_pending" +
               (" ON audit_entries" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_entry_pending()")
