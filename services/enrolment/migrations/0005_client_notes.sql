-- Free text written about a klien (notes, concerns, reasons), sealed under the klien's
-- data key: one row per thing it is about. Erasing the klien deletes its rows with its key.
CREATE TABLE client_notes (
    client_id uuid NOT NULL,
    about     text NOT NULL,
    sealed    bytea NOT NULL,
    PRIMARY KEY (client_id, about)
);
