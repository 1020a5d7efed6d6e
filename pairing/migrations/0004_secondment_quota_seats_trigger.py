"""A quota's seats are never exceeded, whatever path writes (issue 22): a constraint
trigger on secondments that locks the quota row and counts its seats, and one on quotas
that refuses seats below those already taken.

The booking trigger takes the quota row's FOR NO KEY UPDATE lock (not FOR UPDATE: every
insert already holds FOR KEY SHARE on it for the foreign key check, and two FOR UPDATE
requests on top of those would deadlock). Concurrent bookings of one quota therefore
queue on that lock, and each counts, under READ COMMITTED, the rows committed before it
got the lock: of two bookings of the last seat one wins and the other is refused. The
services lock the same row first (select_for_update), so they never wait on each other
in another order. The trigger is DEFERRABLE INITIALLY IMMEDIATE: checked at the end of
each statement, so the error reaches the statement that overbooked (a caller that moves
secondments between full quotas in several statements may `SET CONSTRAINTS … DEFERRED`).
"""

from django.db import migrations

from core.constraints import RunPostgresSQL

SQL = """
CREATE FUNCTION pairing_secondment_quota_seats() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    allowed integer;
    taken integer;
BEGIN
    IF NEW.status = 'cancelled' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.quota_id = NEW.quota_id AND OLD.status <> 'cancelled' THEN
        RETURN NULL;  -- the seat was already held
    END IF;
    SELECT seats INTO allowed FROM pairing_quota WHERE id = NEW.quota_id FOR NO KEY UPDATE;
    SELECT count(*) INTO taken FROM pairing_secondment
        WHERE quota_id = NEW.quota_id AND status <> 'cancelled';
    IF taken > allowed THEN
        RAISE EXCEPTION 'quota % overbooked: % of % seats taken', NEW.quota_id, taken, allowed
            USING ERRCODE = 'check_violation', CONSTRAINT = 'secondment_quota_seats';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER secondment_quota_seats
    AFTER INSERT OR UPDATE OF quota_id, status ON pairing_secondment
    DEFERRABLE INITIALLY IMMEDIATE
    FOR EACH ROW EXECUTE FUNCTION pairing_secondment_quota_seats();

CREATE FUNCTION pairing_quota_seats_held() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    taken integer;
BEGIN
    IF NEW.seats >= OLD.seats THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO taken FROM pairing_secondment
        WHERE quota_id = NEW.id AND status <> 'cancelled';
    IF taken > NEW.seats THEN
        RAISE EXCEPTION 'quota % has % seats taken, more than %', NEW.id, taken, NEW.seats
            USING ERRCODE = 'check_violation', CONSTRAINT = 'quota_seats_held';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER quota_seats_held
    AFTER UPDATE OF seats ON pairing_quota
    DEFERRABLE INITIALLY IMMEDIATE
    FOR EACH ROW EXECUTE FUNCTION pairing_quota_seats_held();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS quota_seats_held ON pairing_quota;
DROP FUNCTION IF EXISTS pairing_quota_seats_held();
DROP TRIGGER IF EXISTS secondment_quota_seats ON pairing_secondment;
DROP FUNCTION IF EXISTS pairing_secondment_quota_seats();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("pairing", "0003_audit_statement_inserts_fewer_indexes"),
    ]

    operations = [RunPostgresSQL(SQL, REVERSE_SQL)]
