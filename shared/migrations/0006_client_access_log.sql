-- Who looked at a klien's personal data: one row per read of a profile (or of anything
-- that shows part of it) or of an export, never changed nor deleted. The triggers refuse
-- an UPDATE, a DELETE or a TRUNCATE, whoever asks; the API has no route that tries.
CREATE TABLE client_access_log (
    seq            bigserial PRIMARY KEY,
    client_id      uuid        NOT NULL,
    accessed_at    timestamptz NOT NULL DEFAULT now(),
    role           text        NOT NULL,
    sub            text        NOT NULL,
    method         text        NOT NULL,
    route          text        NOT NULL,
    correlation_id uuid        NOT NULL
);
CREATE INDEX client_access_log_by_client ON client_access_log (client_id, seq);

CREATE FUNCTION client_access_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'client_access_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER client_access_log_no_change BEFORE UPDATE OR DELETE ON client_access_log
    FOR EACH ROW EXECUTE FUNCTION client_access_log_is_append_only();
CREATE TRIGGER client_access_log_no_truncate BEFORE TRUNCATE ON client_access_log
    FOR EACH STATEMENT EXECUTE FUNCTION client_access_log_is_append_only();
