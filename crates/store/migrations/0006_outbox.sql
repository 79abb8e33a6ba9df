-- Notifications: written to the outbox with an idempotency key in the same transaction as what
-- caused them, delivered at least once with retries, every attempt logged.

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    channel_id      TEXT NOT NULL,
    alert_id        INTEGER REFERENCES alerts(id),
    kind            TEXT NOT NULL,               -- alert_new, alert_overdue
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    not_before      TEXT NOT NULL,               -- quiet hours push this later
    next_attempt_at TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    delivered_at    TEXT,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox(delivered_at, next_attempt_at);

CREATE TABLE deliveries (
    id           INTEGER PRIMARY KEY,
    outbox_id    INTEGER NOT NULL REFERENCES outbox(id),
    attempted_at TEXT NOT NULL,
    ok           INTEGER NOT NULL,
    detail       TEXT
);
CREATE INDEX deliveries_outbox ON deliveries(outbox_id);

-- How far the notifier has read the alerts, so each new alert is announced once.
CREATE TABLE notify_cursor (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    last_alert_id INTEGER NOT NULL
);

ALTER TABLE alerts ADD COLUMN overdue_step TEXT;   -- received / on_scene / verified
ALTER TABLE alerts ADD COLUMN overdue_at TEXT;
