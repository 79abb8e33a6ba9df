-- Times are UTC, stored as RFC 3339 text ('2025-11-18T05:07:00Z') so they sort and compare as text.
-- Coordinates are WGS84 lon/lat degrees.

CREATE TABLE source_files (
    id            INTEGER PRIMARY KEY,
    sha256        TEXT NOT NULL UNIQUE,       -- idempotency: one row per distinct content
    name          TEXT NOT NULL,
    format        TEXT,
    status        TEXT NOT NULL CHECK (status IN ('ingested', 'rejected')),
    reason        TEXT,                       -- why a rejected file was quarantined
    rows_read     INTEGER NOT NULL DEFAULT 0,
    rows_rejected INTEGER NOT NULL DEFAULT 0,
    received_at   TEXT NOT NULL
);

CREATE TABLE regions (
    id        TEXT PRIMARY KEY,               -- statistical code (county 6-digit, township 9/12-digit)
    name      TEXT NOT NULL,
    level     TEXT NOT NULL CHECK (level IN ('county', 'township', 'village')),
    parent_id TEXT,
    geometry  TEXT NOT NULL                   -- GeoJSON geometry, WGS84
);

CREATE TABLE events (
    id                INTEGER PRIMARY KEY,
    first_seen        TEXT NOT NULL,
    last_seen         TEXT NOT NULL,
    lon               REAL NOT NULL,           -- the highest-FRP pixel
    lat               REAL NOT NULL,
    max_frp_mw        REAL,
    detection_count   INTEGER NOT NULL,
    search_radius_km  REAL NOT NULL,
    region_id         TEXT,                    -- owning township; NULL = outside every region
    county_id         TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX events_last_seen ON events(last_seen);
CREATE INDEX events_region ON events(region_id);

CREATE TABLE detections (
    id              INTEGER PRIMARY KEY,
    natural_key     TEXT NOT NULL UNIQUE,      -- pass + rounded position: the last guard
    pass_key        TEXT NOT NULL,             -- instrument|satellite|acquisition minute
    source_file_id  INTEGER NOT NULL REFERENCES source_files(id),
    source          TEXT NOT NULL,
    instrument      TEXT NOT NULL,
    satellite       TEXT NOT NULL,
    acq_time        TEXT NOT NULL,
    lon             REAL NOT NULL,
    lat             REAL NOT NULL,
    frp_mw          REAL,
    confidence      TEXT NOT NULL,
    confidence_raw  TEXT,
    day_night       TEXT,
    scan_km         REAL,
    track_km        REAL,
    firms_type      INTEGER,
    bright_t4_k     REAL,
    bright_t11_k    REAL,
    region_id       TEXT,                      -- township containing the point; NULL = outside
    county_id       TEXT,
    suppressed_by   TEXT,                      -- why the filter held it back; NULL = passed
    event_id        INTEGER REFERENCES events(id),
    created_at      TEXT NOT NULL
);
CREATE INDEX detections_acq_time ON detections(acq_time);
CREATE INDEX detections_event ON detections(event_id);
CREATE INDEX detections_region ON detections(region_id);
CREATE INDEX detections_lat_lon ON detections(lat, lon);
-- Identity lookups: the same pass, within a few tens of metres.
CREATE INDEX detections_pass ON detections(pass_key, lat);

CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY,
    event_id         INTEGER NOT NULL UNIQUE REFERENCES events(id),  -- one alert per fire
    region_id        TEXT,
    county_id        TEXT,
    state            TEXT NOT NULL,
    outcome          TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX alerts_region_state ON alerts(region_id, state);

-- Other townships that see an alert because the fire is near their border.
CREATE TABLE alert_neighbours (
    alert_id    INTEGER NOT NULL REFERENCES alerts(id),
    region_id   TEXT NOT NULL,
    distance_km REAL NOT NULL,
    PRIMARY KEY (alert_id, region_id)
);
CREATE INDEX alert_neighbours_region ON alert_neighbours(region_id);

-- The audit trail of every alert. Append-only: the triggers refuse any change.
CREATE TABLE alert_transitions (
    id         INTEGER PRIMARY KEY,
    alert_id   INTEGER NOT NULL REFERENCES alerts(id),
    from_state TEXT,                           -- NULL for the creation of the alert
    to_state   TEXT NOT NULL,
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL,
    outcome    TEXT,
    reason     TEXT,
    note       TEXT
);
CREATE INDEX alert_transitions_alert ON alert_transitions(alert_id);
CREATE TRIGGER alert_transitions_no_update BEFORE UPDATE ON alert_transitions
BEGIN SELECT RAISE(ABORT, 'alert_transitions is append-only'); END;
CREATE TRIGGER alert_transitions_no_delete BEFORE DELETE ON alert_transitions
BEGIN SELECT RAISE(ABORT, 'alert_transitions is append-only'); END;

CREATE TABLE industrial_sources (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    lon        REAL NOT NULL,
    lat        REAL NOT NULL,
    buffer_km  REAL NOT NULL,
    origin     TEXT NOT NULL,                  -- 'registry' import, 'learned' approval, 'feedback'
    note       TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE silences (
    id         INTEGER PRIMARY KEY,
    matchers   TEXT NOT NULL,                  -- JSON: area (circle or polygon) and source/sensor matchers
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL,
    created_by TEXT NOT NULL,
    comment    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CHECK (ends_at > starts_at)
);
