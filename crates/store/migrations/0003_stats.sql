-- Audit statistics (issue 8).

-- A verification may state the burned area in 亩. The field form fills this column; older
-- verifications (and the CLI's --note "约3亩") are read from the note by the statistics.
ALTER TABLE alert_transitions ADD COLUMN burned_area_mu REAL CHECK (burned_area_mu >= 0);

-- Alerts and events of a period are found by the fire's first sighting.
CREATE INDEX events_first_seen ON events(first_seen);
