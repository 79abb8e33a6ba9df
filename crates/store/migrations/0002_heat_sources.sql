-- Non-straw heat sources (issue 4): registry footprints, learned and feedback candidates awaiting
-- an operator, silence expiry, the cropland class of a detection, and lifted suppressions.

-- A registry site is a point plus a buffer, or a footprint polygon plus a buffer.
ALTER TABLE industrial_sources ADD COLUMN geometry TEXT;       -- GeoJSON (WGS84); NULL = the point
ALTER TABLE industrial_sources ADD COLUMN source_ref TEXT;     -- 'industrial.csv:17', 'candidate 4'

-- Places that look like persistent heat, proposed by the learner or by field verifications.
-- Nothing is suppressed because of a candidate until an operator approves it into the registry.
CREATE TABLE source_candidates (
    id               INTEGER PRIMARY KEY,
    origin           TEXT NOT NULL CHECK (origin IN ('learned', 'feedback')),
    lon              REAL NOT NULL,
    lat              REAL NOT NULL,
    buffer_km        REAL NOT NULL,
    days             INTEGER NOT NULL,         -- distinct local days with a detection
    months           INTEGER NOT NULL,         -- distinct calendar months
    detections       INTEGER NOT NULL,         -- detections (learned) or verified alerts (feedback)
    night_share      REAL NOT NULL,            -- share of detections at night
    off_season_share REAL NOT NULL,            -- share of detections outside harvest windows
    score            REAL NOT NULL,
    first_seen       TEXT NOT NULL,
    last_seen        TEXT NOT NULL,
    evidence         TEXT,                     -- JSON: more (e.g. the verified alert ids)
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by       TEXT,
    decided_at       TEXT,
    decision_note    TEXT,
    source_id        INTEGER REFERENCES industrial_sources(id),  -- the registry entry once approved
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX source_candidates_status ON source_candidates(status);

-- Expiring a silence early keeps its planned end for the record.
ALTER TABLE silences ADD COLUMN expired_at TEXT;
ALTER TABLE silences ADD COLUMN expired_by TEXT;

-- 'straw': on cropland per the mask (a possible straw fire); 'not_straw': off cropland, kept and
-- routed but told apart in statistics; NULL: no mask configured, or outside it.
ALTER TABLE detections ADD COLUMN fire_class TEXT CHECK (fire_class IN ('straw', 'not_straw'));
-- An operator lifted the suppression: the old reason, who, when and why. Set once.
ALTER TABLE detections ADD COLUMN lifted_from TEXT;
ALTER TABLE detections ADD COLUMN lifted_by TEXT;
ALTER TABLE detections ADD COLUMN lifted_at TEXT;
ALTER TABLE detections ADD COLUMN lift_note TEXT;
CREATE INDEX detections_suppressed ON detections(suppressed_by) WHERE suppressed_by IS NOT NULL;
