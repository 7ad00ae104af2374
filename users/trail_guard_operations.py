"""The migration operation that guards the audit trail on PostgreSQL: the
application's own database role cannot change or delete audit events, except
to seal them, to erase personal data in them, and by the retention purge."""

from django.db.migrations.operations.base import Operation

# The audit event's fields that may hold personal data (audit.chain.PERSONAL),
# which an erasure may rewrite, recording their digests in `redacted`.
PERSONAL = "'{actor_label,target_label,ip,changes}'::text[]"
REFUSED = "USING ERRCODE = 'insufficient_privilege', HINT = 'see docs/deploy.md'"
PURGING = "coalesce(current_setting('noogh.audit_purge', true), '') = 'on'"

GUARD_SQL = f"""
CREATE OR REPLACE FUNCTION users_audit_change_allowed(o jsonb, n jsonb, erasing bool)
RETURNS boolean AS $$
    SELECT n IS NOT NULL AND (
        -- Sealing: a chain position and hash for an unsealed event, nothing else.
        (o -> 'seq' = 'null' AND n -> 'seq' <> 'null' AND n -> 'hash' <> 'null'
         AND n - 'seq' - 'hash' = o - 'seq' - 'hash')
        OR (
        -- Erasure: only the personal fields, each one it changes with its
        -- digest as it was kept in `redacted`; digests kept never change.
            erasing
            AND n -> 'seq' = o -> 'seq' AND n -> 'hash' = o -> 'hash'
            AND n - {PERSONAL} - 'redacted' = o - {PERSONAL} - 'redacted'
            AND coalesce(nullif(n -> 'redacted', 'null'), '{{}}')
                @> coalesce(nullif(o -> 'redacted', 'null'), '{{}}')
            AND NOT EXISTS (
                SELECT 1 FROM unnest({PERSONAL}) AS field
                WHERE n -> field IS DISTINCT FROM o -> field
                AND NOT coalesce(nullif(n -> 'redacted', 'null'), '{{}}') ? field
            )
        )
    )
$$ LANGUAGE sql IMMUTABLE;

CREATE OR REPLACE FUNCTION users_audit_guard_update() RETURNS trigger AS $$
DECLARE
    erasing bool := coalesce(current_setting('noogh.audit_erasure', true), '') = 'on';
    refused bigint;
BEGIN
    SELECT old_row.id INTO refused
    FROM old_rows AS old_row LEFT JOIN new_rows AS new_row USING (id)
    WHERE users_audit_change_allowed(
        to_jsonb(old_row), to_jsonb(new_row), erasing
    ) IS NOT TRUE
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'audit event % cannot be changed', refused {REFUSED};
    END IF;
    RETURN NULL;
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

CREATE TRIGGER users_audit_guard_update AFTER UPDATE ON users_auditevent
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION users_audit_guard_update();
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
DROP FUNCTION IF EXISTS users_audit_change_allowed(jsonb, jsonb, bool);
"""


class GuardAuditTrail(Operation):
    """On PostgreSQL, statement-level triggers on users_auditevent that refuse
    any UPDATE but sealing (seq and hash set on an unsealed event, nothing
    else) and erasure (in a transaction that set noogh.audit_erasure: only the
    personal fields, each changed one with its former digest kept), and any
    DELETE but the purge's (noogh.audit_purge set, only events up to the
    checkpoint); and a trigger on the checkpoint that lets it move only
    forward, to a sealed event's own hash. Statement-level with transition
    tables: one set-based check per statement, so sealing or erasing 10,000
    events costs one join, not 10,000 function calls. The functions compare
    whole rows as JSON rather than naming columns, so a column added later is
    guarded too. Nothing on other databases (the chain still shows tampering
    there: audit_verify)."""

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
