-- A delivery records the klien it is about (null for a Pokmas's, an MoU's, a vacancy's
-- news), so a klien's subject-access export finds the klien's messages by it.
ALTER TABLE deliveries ADD COLUMN client_id uuid;
CREATE INDEX deliveries_by_client ON deliveries (client_id, created_at, notification_id)
    WHERE client_id IS NOT NULL;

-- The deliveries recorded before: those whose cause the service can tie to a klien
-- exactly are given it now; the others when their cause is replayed (a rebuild of the
-- projection). Every delivery of a cause is about the cause's klien: its announcements,
-- webhooks and reminders. Known exactly: a klien's release and a placement (the
-- directory keeps their event ids; the reminders of supervision ending and of
-- retention checks name them too), and any event a webhook delivered (its body, template
-- event_envelope, is the event's envelope, which names the klien or its enrolment).
WITH webhooks AS (
    SELECT DISTINCT cause_event_id, body::jsonb -> 'payload' AS payload
    FROM deliveries
    WHERE template = 'event_envelope'
), klien_of_causes AS (
    SELECT release_event_id AS cause_event_id, client_id FROM clients
    UNION
    SELECT placed_event_id, client_id FROM placements
    UNION
    SELECT w.cause_event_id, coalesce((w.payload ->> 'client_id')::uuid, e.client_id)
    FROM webhooks w
    LEFT JOIN enrolments e ON e.enrolment_id = (w.payload ->> 'enrolment_id')::uuid
)
UPDATE deliveries d
SET client_id = k.client_id
FROM klien_of_causes k
WHERE d.cause_event_id = k.cause_event_id AND k.client_id IS NOT NULL;
