"""The migration operation that guards the audit trail on PostgreSQL: the
application's own database role cannot change or delete audit events, except
to seal them, to erase personal data in them, and by the retention purge."""

from django.db.migrations.operations.base import Operation

# users_auditevent's columns, by what may change them. A migration that adds
# a column adds it here and runs GuardAuditTrail again (CREATE OR REPLACE);
# test_trail_guard checks that the function names every column.
FIXED = ("id", "at", "action", "actor_id", "target_id", "batch")
# The fields that may hold personal data (audit.chain.PERSONAL): an erasure
# may rewrite them, recording each one's former digest in `redacted`.
PERSONAL = ("actor_label", "target_label", "ip", "changes")
SEALED = ("seq", "hash")
REFUSED = "USING ERRCODE = 'insufficient_privilege', HINT = 'see docs/deploy.md'"
PURGING = "coalesce(current_setting('noogh.audit_purge', true), '') = 'on'"


def _same(columns) -> str:
    new = ", ".join(f"NEW.{column}" for column in columns)
    old = ", ".join(f"OLD.{column}" for column in columns)
    return f"ROW({new}) IS NOT DISTINCT FROM ROW({old})"


ERASED_ONLY_IF_KEPT = "\n        AND ".join(
    f"(NEW.{field} IS NOT DISTINCT FROM OLD.{field} OR kept ? '{field}')"
    for field in PERSONAL
)

# Row-level with the columns named: ~15 us a row. Comparing whole rows as
# JSON cost ~40 us, and a statement-level check joining the transition
# tables ~140 us (or seconds: the planner knows nothing about them).
GUARD_SQL = f"""
CREATE OR REPLACE FUNCTION users_audit_guard_update() RETURNS trigger AS $$
DECLARE
    kept jsonb := coalesce(NEW.redacted, '{{}}');
BEGIN
    -- Sealing: a chain position and hash for an unsealed event, nothing else.
    IF OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL
        AND {_same((*FIXED, *PERSONAL, "redacted"))}
    THEN
        RETURN NEW;
    END IF;
    -- Erasure: only the personal fields, each one it changes with its former
    -- digest kept in `redacted`; a digest once kept never changes.
    IF coalesce(current_setting('noogh.audit_erasure', true), '') = 'on'
        AND {_same((*FIXED, *SEALED))}
        AND kept @> coalesce(OLD.redacted, '{{}}')
        AND {ERASED_ONLY_IF_KEPT}
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit event % cannot be changed', OLD.id {REFUSED};
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION users_audit_guard_delete() RETURNS trigger AS $$
BEGIN
    IF NOT {PURGING} OR EXISTS (
        SELECT 1 FROM old_rows WHERE seq IS NULL OR seq > coalesce(
            (SELECT max(seq) FROM users_auditcheckpoint), 0
        )
    ) THEN
        RAISE EXCEPTION 'audit events are deleted only by the retention purge'
            {REFUSED};
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION users_audit_guard_checkpoint() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NOT {PURGING}
        OR (TG_OP = 'UPDATE' AND NEW.seq < OLD.seq)
        OR NOT EXISTS (
            SELECT 1 FROM users_auditevent WHERE seq = NEW.seq AND hash = NEW.hash
        )
    THEN
        RAISE EXCEPTION 'the audit checkpoint moves only forward, by the purge'
            {REFUSED};
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER users_audit_guard_update BEFORE UPDATE ON users_auditevent
    FOR EACH ROW EXECUTE FUNCTION users_audit_guard_update();
CREATE TRIGGER users_audit_guard_delete AFTER DELETE ON users_auditevent
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION users_audit_guard_delete();
CREATE TRIGGER users_audit_guard_checkpoint
    BEFORE INSERT OR UPDATE OR DELETE ON users_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION users_audit_guard_checkpoint();
"""

UNGUARD_SQL = """
DROP TRIGGER IF EXISTS users_audit_guard_update ON users_auditevent;
DROP TRIGGER IF EXISTS users_audit_guard_delete ON users_auditevent;
DROP TRIGGER IF EXISTS users_audit_guard_checkpoint ON users_auditcheckpoint;
DROP FUNCTION IF EXISTS users_audit_guard_update();
DROP FUNCTION IF EXISTS users_audit_guard_delete();
DROP FUNCTION IF EXISTS users_audit_guard_checkpoint();
"""


class GuardAuditTrail(Operation):
    """On PostgreSQL, triggers on users_auditevent that refuse any UPDATE but
    sealing (seq and hash set on an unsealed event, nothing else) and erasure
    (in a transaction that set noogh.audit_erasure: only the personal fields,
    each changed one with its former digest kept), and any DELETE but the
    purge's (noogh.audit_purge set, only sealed events up to the checkpoint:
    one statement-level check over the deleted rows); and a trigger on the
    checkpoint that lets it move only forward, to a sealed event's own hash.
    Nothing on other databases (the chain still shows tampering there:
    audit_verify)."""

    reduces_to_sql = False
    reversible = True

    def deconstruct(self):
        return self.__class__.__qualname__, [], {}

    def state_forwards(self, app_label, state):
        pass

    def describe(self) -> str:
        return "Guard users_auditevent against changes but sealing, erasure, purge"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(GUARD_SQL, None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(UNGUARD_SQL, None)
