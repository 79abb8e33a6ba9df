-- People who use burnwatch, and their bearer tokens. A token is stored only as its SHA-256, so
-- a copy of the database does not hand out sessions.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,              -- argon2id PHC string
    role          TEXT NOT NULL CHECK (role IN ('patrol', 'county_supervisor', 'duty_officer', 'auditor', 'admin')),
    region_id     TEXT,                       -- township of a patrol, county of a supervisor
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    CHECK ((role IN ('patrol', 'county_supervisor')) = (region_id IS NOT NULL))
);

CREATE TABLE api_tokens (
    token_sha256 TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
