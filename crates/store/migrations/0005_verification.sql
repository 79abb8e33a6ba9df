-- Field evidence from the patrol page (issue 7): photos with what their EXIF says and how far
-- from the fire they were taken, the verification's enforcement details, the county's review,
-- and the ids of actions a phone queued without signal, so a resend is answered, never applied
-- twice. The burned area (亩) lives on the verifying transition (alert_transitions.burned_area_mu,
-- migration 0003), where the statistics read it.

CREATE TABLE alert_photos (
    id                INTEGER PRIMARY KEY,
    alert_id          INTEGER NOT NULL REFERENCES alerts(id),
    sha256            TEXT NOT NULL,
    bytes             INTEGER NOT NULL CHECK (bytes > 0),
    content_type      TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    width             INTEGER NOT NULL,
    height            INTEGER NOT NULL,
    exif_time_raw     TEXT,            -- DateTimeOriginal as the camera wrote it (its local clock)
    taken_at          TEXT,            -- the same in UTC (OffsetTimeOriginal, else UTC+8 assumed)
    gps_lon           REAL,            -- EXIF GPS, WGS84
    gps_lat           REAL,
    gps_accuracy_m    REAL,            -- GPSHPositioningError, when the phone wrote it
    device_lon        REAL,            -- the browser's own fix at upload time, as reported by it
    device_lat        REAL,
    device_accuracy_m REAL,
    distance_km       REAL,            -- alert point to the EXIF GPS position
    far               INTEGER CHECK (far IN (0, 1)),   -- NULL: cannot tell (no GPS)
    old               INTEGER CHECK (old IN (0, 1)),   -- NULL: cannot tell (no EXIF time)
    uploaded_by       TEXT NOT NULL,
    uploaded_at       TEXT NOT NULL,
    path              TEXT NOT NULL,   -- relative to the photo folder; content-addressed
    UNIQUE (alert_id, sha256)          -- the same picture sent twice is one photo
);
CREATE INDEX alert_photos_alert ON alert_photos(alert_id);

-- One per verified alert, written in the same transaction as the verifying transition.
CREATE TABLE alert_verifications (
    alert_id         INTEGER PRIMARY KEY REFERENCES alerts(id),
    transition_id    INTEGER NOT NULL REFERENCES alert_transitions(id),
    enforcement_case TEXT,             -- 立案编号
    fine_yuan        REAL CHECK (fine_yuan IS NULL OR fine_yuan >= 0),
    verified_by      TEXT NOT NULL,
    verified_at      TEXT NOT NULL
);

-- The county's review of a verification. Append-only like the transitions: the latest row is
-- the current state, the earlier ones are the record of who changed their mind.
CREATE TABLE verification_reviews (
    id       INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts(id),
    state    TEXT NOT NULL CHECK (state IN ('approved', 'has_issues', 'rejected')),
    reviewer TEXT NOT NULL,
    note     TEXT,
    at       TEXT NOT NULL
);
CREATE INDEX verification_reviews_alert ON verification_reviews(alert_id);
CREATE TRIGGER verification_reviews_no_update BEFORE UPDATE ON verification_reviews
BEGIN SELECT RAISE(ABORT, 'verification_reviews is append-only'); END;
CREATE TRIGGER verification_reviews_no_delete BEFORE DELETE ON verification_reviews
BEGIN SELECT RAISE(ABORT, 'verification_reviews is append-only'); END;

-- Actions sent by a phone, keyed by the id the phone generated when the user tapped; stored in
-- the transaction that applied them.
CREATE TABLE alert_actions (
    action_id     TEXT PRIMARY KEY,
    alert_id      INTEGER NOT NULL REFERENCES alerts(id),
    user_id       INTEGER NOT NULL REFERENCES users(id),
    transition_id INTEGER NOT NULL REFERENCES alert_transitions(id),
    received_at   TEXT NOT NULL
);
