-- When each outbox row was written (the age of the oldest is a metric: a relay that
-- cannot publish shows there first), and the trace context of the request that wrote
-- it (W3C traceparent), sent with the event as a Kafka header.
ALTER TABLE outbox ADD COLUMN enqueued_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE outbox ADD COLUMN traceparent text;

-- The identity of the topic the relay publishes to, recorded when it first published.
-- A topic created anew, or another cluster, holds none of the events published before:
-- the relay stops and says so rather than publish into it as if nothing happened.
CREATE TABLE relay_topics (
    topic       text PRIMARY KEY,
    cluster_id  text NOT NULL,
    topic_id    uuid NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
