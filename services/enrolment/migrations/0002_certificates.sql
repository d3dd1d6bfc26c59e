-- Verifiable training certificates.

-- The keyed hash of each klien's normalised name, beside the profile and erased with it
-- (see services/enrolment/profiles.py). Profiles kept before this column existed get
-- their digest the first time a name is checked against them.
ALTER TABLE client_profiles ADD COLUMN name_digest bytea;

-- Part of the projection of pokmas.events.v1 (enrolment.pokmas): the Pokmas names a
-- certificate shows. A rebuild empties it with the MoUs and programmes. Pokmas
-- registered before this table existed are learnt by rebuilding the projection.
CREATE TABLE pokmas_partners (
    pokmas_id  uuid PRIMARY KEY,
    bapas_code text NOT NULL,
    name       text NOT NULL
);
