-- Audit statistics (issue 8).

-- A verification may state the burned area in 亩. The field form fills this column; older
-- verifications (and the CLI's --note "约3亩") are read from the note by the statistics.
ALTER TABLE alert_transitions ADD COLUMN burned_area_mu REAL CHECK (burned_area_mu >= 0);

-- Alerts and events of a period are found by the fire's first sighting; place and position
-- ride along so the statistics never touch the events table itself.
CREATE INDEX events_first_seen ON events(first_seen, region_id, county_id, lon, lat);

-- Detections counted per local (UTC+8) day, place, source, reason kind and cropland class, kept
-- by the triggers below in the writer's own transaction. A season's statistics then read a few
-- thousand rows instead of a million detections. Empty strings stand for NULL: NULLs would
-- never meet in the primary key.
CREATE TABLE detection_counts (
    day        TEXT NOT NULL,                  -- local date, 'YYYY-MM-DD'
    region_id  TEXT NOT NULL,                  -- '' = outside every township
    county_id  TEXT NOT NULL,
    source     TEXT NOT NULL,
    reason     TEXT NOT NULL,                  -- suppressed_by up to its first ':'; '' = not held back
    not_straw  INTEGER NOT NULL,               -- 1 when the cropland mask classed it not straw
    n          INTEGER NOT NULL,
    PRIMARY KEY (day, region_id, county_id, source, reason, not_straw)
) WITHOUT ROWID;

INSERT INTO detection_counts
SELECT date(acq_time, '+8 hours'), COALESCE(region_id, ''), COALESCE(county_id, ''), source,
       CASE WHEN suppressed_by IS NULL THEN ''
            ELSE substr(suppressed_by, 1, instr(suppressed_by || ':', ':') - 1) END,
       fire_class IS 'not_straw', COUNT(*)
FROM detections GROUP BY 1, 2, 3, 4, 5, 6;

CREATE TRIGGER detection_counts_insert AFTER INSERT ON detections
BEGIN
    INSERT INTO detection_counts VALUES (
        date(NEW.acq_time, '+8 hours'), COALESCE(NEW.region_id, ''), COALESCE(NEW.county_id, ''),
        NEW.source,
        CASE WHEN NEW.suppressed_by IS NULL THEN ''
             ELSE substr(NEW.suppressed_by, 1, instr(NEW.suppressed_by || ':', ':') - 1) END,
        NEW.fire_class IS 'not_straw', 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

-- A lifted suppression, the cropland class written after the insert, a re-route: the old key
-- loses one, the new key gains one. Both are upserts, so the result does not depend on the
-- order in which this and other AFTER INSERT triggers (the cropland mask's) run: a row may
-- pass through -1 inside a transaction but never loses a count.
CREATE TRIGGER detection_counts_update
AFTER UPDATE OF acq_time, region_id, county_id, source, suppressed_by, fire_class ON detections
BEGIN
    INSERT INTO detection_counts VALUES (
        date(OLD.acq_time, '+8 hours'), COALESCE(OLD.region_id, ''), COALESCE(OLD.county_id, ''),
        OLD.source,
        CASE WHEN OLD.suppressed_by IS NULL THEN ''
             ELSE substr(OLD.suppressed_by, 1, instr(OLD.suppressed_by || ':', ':') - 1) END,
        OLD.fire_class IS 'not_straw', -1)
    ON CONFLICT DO UPDATE SET n = n - 1;
    INSERT INTO detection_counts VALUES (
        date(NEW.acq_time, '+8 hours'), COALESCE(NEW.region_id, ''), COALESCE(NEW.county_id, ''),
        NEW.source,
        CASE WHEN NEW.suppressed_by IS NULL THEN ''
             ELSE substr(NEW.suppressed_by, 1, instr(NEW.suppressed_by || ':', ':') - 1) END,
        NEW.fire_class IS 'not_straw', 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER detection_counts_delete AFTER DELETE ON detections
BEGIN
    INSERT INTO detection_counts VALUES (
        date(OLD.acq_time, '+8 hours'), COALESCE(OLD.region_id, ''), COALESCE(OLD.county_id, ''),
        OLD.source,
        CASE WHEN OLD.suppressed_by IS NULL THEN ''
             ELSE substr(OLD.suppressed_by, 1, instr(OLD.suppressed_by || ':', ':') - 1) END,
        OLD.fire_class IS 'not_straw', -1)
    ON CONFLICT DO UPDATE SET n = n - 1;
END;

-- The first time each alert entered each state, and what its verification said: one row per
-- alert, filled by a trigger as transitions are appended (they are never changed), so response
-- times need no pass over the whole audit trail. States only move forward, so each is entered
-- at most once and "first" is the only time.
CREATE TABLE alert_steps (
    alert_id       INTEGER PRIMARY KEY REFERENCES alerts(id),
    dispatched_at  TEXT,
    received_at    TEXT,
    en_route_at    TEXT,
    on_scene_at    TEXT,
    verified_at    TEXT,
    closed_at      TEXT,
    cancelled_at   TEXT,
    outcome        TEXT,
    burned_area_mu REAL,
    note           TEXT
);

INSERT INTO alert_steps (alert_id) SELECT DISTINCT alert_id FROM alert_transitions;
UPDATE alert_steps SET
    dispatched_at = (SELECT MIN(at) FROM alert_transitions t WHERE t.alert_id = alert_steps.alert_id AND to_state = 'dispatched'),
    received_at   = (SELECT MIN(at) FROM alert_transitions t WHERE t.alert_id = alert_steps.alert_id AND to_state = 'received'),
    en_route_at   = (SELECT MIN(at) FROM alert_transitions t WHERE t.alert_id = alert_steps.alert_id AND to_state = 'en_route'),
    on_scene_at   = (SELECT MIN(at) FROM alert_transitions t WHERE t.alert_id = alert_steps.alert_id AND to_state = 'on_scene'),
    verified_at   = (SELECT MIN(at) FROM alert_transitions t WHERE t.alert_id = alert_steps.alert_id AND to_state = 'verified'),
    closed_at     = (SELECT MIN(at) FROM alert_transitions t WHERE t.alert_id = alert_steps.alert_id AND to_state = 'closed'),
    cancelled_at  = (SELECT MIN(at) FROM alert_transitions t WHERE t.alert_id = alert_steps.alert_id AND to_state = 'cancelled'),
    outcome       = (SELECT outcome FROM alert_transitions t WHERE t.alert_id = alert_steps.alert_id AND to_state = 'verified' ORDER BY id LIMIT 1),
    burned_area_mu = (SELECT burned_area_mu FROM alert_transitions t WHERE t.alert_id = alert_steps.alert_id AND to_state = 'verified' ORDER BY id LIMIT 1),
    note          = (SELECT note FROM alert_transitions t WHERE t.alert_id = alert_steps.alert_id AND to_state = 'verified' ORDER BY id LIMIT 1);

CREATE TRIGGER alert_steps_insert AFTER INSERT ON alert_transitions
BEGIN
    INSERT OR IGNORE INTO alert_steps (alert_id) VALUES (NEW.alert_id);
    UPDATE alert_steps SET
        dispatched_at = CASE WHEN NEW.to_state = 'dispatched' THEN COALESCE(dispatched_at, NEW.at) ELSE dispatched_at END,
        received_at   = CASE WHEN NEW.to_state = 'received'   THEN COALESCE(received_at, NEW.at)   ELSE received_at END,
        en_route_at   = CASE WHEN NEW.to_state = 'en_route'   THEN COALESCE(en_route_at, NEW.at)   ELSE en_route_at END,
        on_scene_at   = CASE WHEN NEW.to_state = 'on_scene'   THEN COALESCE(on_scene_at, NEW.at)   ELSE on_scene_at END,
        closed_at     = CASE WHEN NEW.to_state = 'closed'     THEN COALESCE(closed_at, NEW.at)     ELSE closed_at END,
        cancelled_at  = CASE WHEN NEW.to_state = 'cancelled'  THEN COALESCE(cancelled_at, NEW.at)  ELSE cancelled_at END
    WHERE alert_id = NEW.alert_id;
    UPDATE alert_steps SET verified_at = NEW.at, outcome = NEW.outcome,
                           burned_area_mu = NEW.burned_area_mu, note = NEW.note
    WHERE alert_id = NEW.alert_id AND NEW.to_state = 'verified' AND verified_at IS NULL;
END;
