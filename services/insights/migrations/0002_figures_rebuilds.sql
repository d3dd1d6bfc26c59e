-- How many times the figures were rebuilt: a rebuild brings the count of events applied
-- back to where it was, so answers kept by a running instance are told apart by both.
ALTER TABLE figures_state ADD COLUMN rebuilds bigint NOT NULL DEFAULT 0;
