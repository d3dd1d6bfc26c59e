-- Placements ended by what happens to the klien in the enrolment service.

-- The enrolment events (a supervision revoked, a klien transferred out of an office)
-- whose reaction, ending the klien's open placement, is done: every such cause, whether
-- it found an open placement or not. The consumer's tracking already applies each event
-- once; this row keeps a rebuild of the projection employment.klien, which replays old
-- causes, from ending a placement made since (a klien transferred back and placed
-- again). A rebuild leaves this table as it is.
CREATE TABLE placement_reactions (
    cause_event_id uuid PRIMARY KEY
);
