-- Escalation levels (issue 7): a missed step escalates to the county (level 1) and, still not
-- done a configured time later, to the prefecture (level 2). A row here is the record that one
-- (alert, step, level) escalated; its key makes that happen once, and it is written in the same
-- transaction as the escalations' outbox rows and the alert's overdue mark.
CREATE TABLE alert_escalations (
    alert_id INTEGER NOT NULL REFERENCES alerts(id),
    step     TEXT NOT NULL CHECK (step IN ('received', 'on_scene', 'verified')),
    level    INTEGER NOT NULL CHECK (level >= 1),
    at       TEXT NOT NULL,
    PRIMARY KEY (alert_id, step, level)
) WITHOUT ROWID;

-- With overdue_step and overdue_at (0006): the latest escalation of the alert.
ALTER TABLE alerts ADD COLUMN overdue_level INTEGER;

-- Marks made before levels existed were the county's, level 1.
INSERT INTO alert_escalations (alert_id, step, level, at)
    SELECT id, overdue_step, 1, overdue_at FROM alerts
    WHERE overdue_step IN ('received', 'on_scene', 'verified') AND overdue_at IS NOT NULL;
UPDATE alerts SET overdue_level = 1 WHERE overdue_step IS NOT NULL;
