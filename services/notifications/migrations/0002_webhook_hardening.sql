-- Webhook subscriptions hardened (api.md, "Webhook targets"):
-- * the signing secret is stored encrypted (AES-GCM under the notifications master key,
--   sealed by the service: SQL never sees the key). The clear column of 0001 is renamed
--   clear_secret and kept only until the service seals what it holds (it does so when
--   it starts, then empties it); new rows never fill it.
-- * a rotated secret keeps the previous one, still valid until previous_secret_expires_at.
-- * the circuit breaker's state: failures in a row, and the end of a pause.
-- * subscriptions are listed per owner (created_by, the token's sub).
ALTER TABLE subscriptions RENAME COLUMN secret TO clear_secret;
ALTER TABLE subscriptions
    ALTER COLUMN clear_secret DROP NOT NULL,
    ADD COLUMN sealed_secret              bytea,
    ADD COLUMN previous_sealed_secret     bytea,
    ADD COLUMN previous_secret_expires_at timestamptz,
    ADD COLUMN secret_rotated_at          timestamptz,
    ADD COLUMN consecutive_failures       integer NOT NULL DEFAULT 0,
    ADD COLUMN paused_until               timestamptz,
    ADD CONSTRAINT subscriptions_secret_kept
        CHECK (deleted_at IS NOT NULL OR sealed_secret IS NOT NULL OR clear_secret IS NOT NULL);

CREATE INDEX subscriptions_by_owner ON subscriptions (created_by, created_at, subscription_id)
    WHERE deleted_at IS NULL;
