"""Make the audit table append-only in the database itself, not only in the ORM.

PostgreSQL refuses UPDATE and DELETE on accounts_event; SQLite refuses UPDATE (its DELETE
trigger is left out because Django's test flush deletes rows table by table).
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION caiji_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'accounts_event is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_event_no_update BEFORE UPDATE OR DELETE ON accounts_event
    FOR EACH ROW EXECUTE FUNCTION caiji_event_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS accounts_event_no_update ON accounts_event;
DROP FUNCTION IF EXISTS caiji_event_append_only();
"""
SQLITE_FORWARD = """
CREATE TRIGGER accounts_event_no_update BEFORE UPDATE ON accounts_event
BEGIN SELECT RAISE(ABORT, 'accounts_event is append-only'); END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS accounts_event_no_update;"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
