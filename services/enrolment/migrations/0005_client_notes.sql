-- Free text written about a klien (notes, concerns, reasons), sealed under the klien's
-- data key: one row per thing it is about. Erasing the klien deletes its rows with its key.
CREATE TABLE client_notes (
    client_id uuid NOT NULL,
    about     text NOT NULL,
    sealed    bytea NOT NULL,
    PRIMARY KEY (client_id, about)
);

-- Notes recorded before they were sealed lie in clear in these columns and in the stored
-- events until the service, at start, seals them here and clears them: these indexes
-- find the few left at once.
CREATE INDEX client_reports_note_in_clear ON client_reports (client_id) WHERE note IS NOT NULL;
CREATE INDEX enrolments_note_in_clear ON enrolments (enrolment_id)
    WHERE withdrawal_note IS NOT NULL;
CREATE INDEX enrolment_attendance_concern_in_clear ON enrolment_attendance (enrolment_id)
    WHERE concern IS NOT NULL;
CREATE INDEX clients_reoffence_note_in_clear ON clients (client_id)
    WHERE jsonb_path_exists(reoffences, '$[*] ? (@.note != null)');
-- The same predicate as the query that seals the notes of the stored events.
CREATE INDEX events_note_in_clear ON events (aggregate_id, aggregate_version)
    WHERE (event_type IN ('ClientReoffended', 'ReportRecorded', 'TrainingWithdrawn')
           AND envelope::jsonb -> 'payload' ->> 'note' IS NOT NULL)
       OR (event_type = 'ClientTransferredOut'
           AND envelope::jsonb -> 'payload' ->> 'reason' IS NOT NULL)
       OR (event_type = 'AttendanceRecorded'
           AND envelope::jsonb -> 'payload' ->> 'concern' IS NOT NULL);
