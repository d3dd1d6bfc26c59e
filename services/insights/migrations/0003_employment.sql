-- The employment topic's figures: employers' pledges, vacancies, placements, their
-- retention checks and their ends, counted in daily_counts like every other event (a
-- vacancy's or a placement's skill is the row's own skill). A placement is also an
-- employment of its klien, a fact of kind 'employment' in klien_facts like a
-- ClientEmployed, and a fact of kind 'placement' for the klien placed.
ALTER TABLE daily_counts
    ADD COLUMN employers_pledged              integer NOT NULL DEFAULT 0,
    ADD COLUMN vacancies_posted               integer NOT NULL DEFAULT 0,
    ADD COLUMN positions_offered              integer NOT NULL DEFAULT 0,
    ADD COLUMN placements_checked_6_weeks     integer NOT NULL DEFAULT 0,
    ADD COLUMN placements_retained_6_weeks    integer NOT NULL DEFAULT 0,
    ADD COLUMN placements_checked_6_months    integer NOT NULL DEFAULT 0,
    ADD COLUMN placements_retained_6_months   integer NOT NULL DEFAULT 0,
    ADD COLUMN placements_ended_resigned      integer NOT NULL DEFAULT 0,
    ADD COLUMN placements_ended_dismissed     integer NOT NULL DEFAULT 0,
    ADD COLUMN placements_ended_contract_ended integer NOT NULL DEFAULT 0,
    ADD COLUMN placements_ended_reoffended    integer NOT NULL DEFAULT 0,
    ADD COLUMN placements_ended_revoked       integer NOT NULL DEFAULT 0,
    ADD COLUMN placements_ended_moved         integer NOT NULL DEFAULT 0,
    ADD COLUMN placements_ended_other         integer NOT NULL DEFAULT 0,
    ADD COLUMN klien_placed_single            integer NOT NULL DEFAULT 0;

-- The skill of each placement, so that its checks and its end, which do not name it,
-- fall in the same skill row as its start ('' when it filled no vacancy).
CREATE TABLE placements (
    placement_id uuid PRIMARY KEY,
    skill        text NOT NULL
);
