//! The notification outbox and the deadline marks on alerts.

use crate::{fmt_time, parse_time, Result, SqliteStore, StoreError};
use burnwatch_core::{AlertState, Step};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use std::collections::HashMap;

/// A notification to deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub idempotency_key: String,
    pub channel_id: String,
    pub alert_id: Option<i64>,
    pub kind: String,
    pub subject: String,
    pub body: String,
    /// Not before this time (quiet hours).
    pub not_before: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxRow {
    pub id: i64,
    pub idempotency_key: String,
    pub channel_id: String,
    pub alert_id: Option<i64>,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// An alert still waiting for a field step, for the deadline check.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingAlert {
    pub alert_id: i64,
    pub state: AlertState,
    pub created_at: DateTime<Utc>,
    /// The fire's first sighting: its date picks the season's deadlines.
    pub first_seen: DateTime<Utc>,
    pub region_id: Option<String>,
    pub county_id: Option<String>,
    /// The (step, level) escalations already made for this alert.
    pub escalated: Vec<(Step, u32)>,
}

pub trait OutboxStore {
    /// Alerts created after `alert_id`, oldest first, at most `limit`.
    fn alert_ids_after(&self, alert_id: i64, limit: usize) -> Result<Vec<i64>>;
    fn notify_cursor(&self) -> Result<i64>;
    /// Adds notifications (a repeated idempotency key is ignored) and moves the cursor, in one
    /// transaction; returns how many were new.
    fn enqueue(&mut self, items: &[OutboxItem], cursor: Option<i64>) -> Result<usize>;
    fn due_notifications(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OutboxRow>>;
    fn mark_delivered(&mut self, id: i64, at: DateTime<Utc>, detail: &str) -> Result<()>;
    fn mark_failed(
        &mut self,
        id: i64,
        at: DateTime<Utc>,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<()>;
    fn notifications(&self) -> Result<Vec<OutboxRow>>;
    /// Alerts not yet verified, closed or cancelled.
    fn pending_alerts(&self) -> Result<Vec<PendingAlert>>;
    /// Records that `step` of an alert escalated at `level`, marks the alert overdue (its latest
    /// step and level) and queues the escalations, in one transaction; false, with nothing
    /// written, when that step already escalated at that level.
    fn mark_overdue(
        &mut self,
        alert_id: i64,
        step: Step,
        level: u32,
        at: DateTime<Utc>,
        escalations: &[OutboxItem],
    ) -> Result<bool>;
}

const OUTBOX_COLUMNS: &str =
    "id, idempotency_key, channel_id, alert_id, kind, subject, body, attempts, delivered_at, last_error";

fn outbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(OutboxRow, Option<String>)> {
    Ok((
        OutboxRow {
            id: r.get(0)?,
            idempotency_key: r.get(1)?,
            channel_id: r.get(2)?,
            alert_id: r.get(3)?,
            kind: r.get(4)?,
            subject: r.get(5)?,
            body: r.get(6)?,
            attempts: r.get(7)?,
            delivered_at: None,
            last_error: r.get(9)?,
        },
        r.get(8)?,
    ))
}

fn finish(rows: Vec<(OutboxRow, Option<String>)>) -> Result<Vec<OutboxRow>> {
    rows.into_iter()
        .map(|(mut row, delivered)| {
            row.delivered_at = delivered
                .as_deref()
                .map(|t| parse_time("outbox.delivered_at", t))
                .transpose()?;
            Ok(row)
        })
        .collect()
}

fn insert_items(tx: &rusqlite::Transaction<'_>, items: &[OutboxItem], now: &str) -> Result<usize> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO outbox (idempotency_key, channel_id, alert_id, kind, subject, body,
                                       created_at, not_before, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?;
    let mut added = 0;
    for i in items {
        added += stmt.execute(params![
            i.idempotency_key,
            i.channel_id,
            i.alert_id,
            i.kind,
            i.subject,
            i.body,
            now,
            fmt_time(i.not_before)
        ])?;
    }
    Ok(added)
}

impl OutboxStore for SqliteStore {
    fn alert_ids_after(&self, alert_id: i64, limit: usize) -> Result<Vec<i64>> {
        let mut stmt = self
            .connection()
            .prepare_cached("SELECT id FROM alerts WHERE id > ?1 ORDER BY id LIMIT ?2")?;
        let ids = stmt
            .query_map(params![alert_id, limit as i64], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(ids)
    }

    fn notify_cursor(&self) -> Result<i64> {
        Ok(self
            .connection()
            .query_row(
                "SELECT last_alert_id FROM notify_cursor WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }

    fn enqueue(&mut self, items: &[OutboxItem], cursor: Option<i64>) -> Result<usize> {
        let now = fmt_time(Utc::now());
        let tx = self.connection_mut().transaction()?;
        let added = insert_items(&tx, items, &now)?;
        if let Some(c) = cursor {
            tx.execute(
                "INSERT INTO notify_cursor (id, last_alert_id) VALUES (1, ?1)
                 ON CONFLICT(id) DO UPDATE SET last_alert_id = MAX(last_alert_id, excluded.last_alert_id)",
                [c],
            )?;
        }
        tx.commit()?;
        Ok(added)
    }

    fn due_notifications(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OutboxRow>> {
        let mut stmt = self.connection().prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox
             WHERE delivered_at IS NULL AND next_attempt_at <= ?1 AND not_before <= ?1
             ORDER BY next_attempt_at, id LIMIT ?2"
        ))?;
        let rows = stmt
            .query_map(params![fmt_time(now), limit as i64], outbox_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        finish(rows)
    }

    fn mark_delivered(&mut self, id: i64, at: DateTime<Utc>, detail: &str) -> Result<()> {
        let tx = self.connection_mut().transaction()?;
        tx.execute(
            "UPDATE outbox SET delivered_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
            params![id, fmt_time(at)],
        )?;
        tx.execute(
            "INSERT INTO deliveries (outbox_id, attempted_at, ok, detail) VALUES (?1, ?2, 1, ?3)",
            params![id, fmt_time(at), detail],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn mark_failed(
        &mut self,
        id: i64,
        at: DateTime<Utc>,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.connection_mut().transaction()?;
        tx.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
            params![id, error, fmt_time(retry_at)],
        )?;
        tx.execute(
            "INSERT INTO deliveries (outbox_id, attempted_at, ok, detail) VALUES (?1, ?2, 0, ?3)",
            params![id, fmt_time(at), error],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn notifications(&self) -> Result<Vec<OutboxRow>> {
        let mut stmt = self
            .connection()
            .prepare(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY id"))?;
        let rows = stmt
            .query_map([], outbox_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        finish(rows)
    }

    fn pending_alerts(&self) -> Result<Vec<PendingAlert>> {
        const PENDING: &str = "state NOT IN ('verified', 'closed', 'cancelled')";
        let conn = self.connection();
        let mut escalated: HashMap<i64, Vec<(Step, u32)>> = HashMap::new();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT e.alert_id, e.step, e.level FROM alert_escalations e
             JOIN alerts a ON a.id = e.alert_id WHERE a.{PENDING}"
        ))?;
        for row in stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
            ))
        })? {
            let (id, step, level) = row?;
            let step = Step::parse(&step).ok_or(StoreError::Corrupt {
                column: "alert_escalations.step",
                value: step.clone(),
            })?;
            escalated.entry(id).or_default().push((step, level));
        }
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT a.id, a.state, a.created_at, e.first_seen, a.region_id, a.county_id
             FROM alerts a JOIN events e ON e.id = a.event_id
             WHERE a.{PENDING} ORDER BY a.id"
        ))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(
                |(alert_id, state, created, first_seen, region_id, county_id)| {
                    Ok(PendingAlert {
                        alert_id,
                        state: AlertState::parse(&state).ok_or(StoreError::Corrupt {
                            column: "alerts.state",
                            value: state.clone(),
                        })?,
                        created_at: parse_time("alerts.created_at", &created)?,
                        first_seen: parse_time("events.first_seen", &first_seen)?,
                        region_id,
                        county_id,
                        escalated: escalated.remove(&alert_id).unwrap_or_default(),
                    })
                },
            )
            .collect()
    }

    fn mark_overdue(
        &mut self,
        alert_id: i64,
        step: Step,
        level: u32,
        at: DateTime<Utc>,
        escalations: &[OutboxItem],
    ) -> Result<bool> {
        let now = fmt_time(at);
        let tx = self
            .connection_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // The notifier decided from a read made before this transaction: a patrol that acted in
        // between has done the step, and nobody is to be told it was missed.
        let state: String =
            tx.query_row("SELECT state FROM alerts WHERE id = ?1", [alert_id], |r| {
                r.get(0)
            })?;
        let state = AlertState::parse(&state).ok_or_else(|| StoreError::Corrupt {
            column: "alerts.state",
            value: state.clone(),
        })?;
        if step.is_done(state) || state.is_terminal() {
            return Ok(false);
        }
        let new = tx.execute(
            "INSERT OR IGNORE INTO alert_escalations (alert_id, step, level, at)
             VALUES (?1, ?2, ?3, ?4)",
            params![alert_id, step.as_str(), level, now],
        )? == 1;
        if new {
            tx.execute(
                "UPDATE alerts SET overdue_step = ?2, overdue_level = ?3, overdue_at = ?4
                 WHERE id = ?1",
                params![alert_id, step.as_str(), level, now],
            )?;
            insert_items(&tx, escalations, &now)?;
        }
        tx.commit()?;
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store with one pending alert, built with plain SQL (the ingest path is tested elsewhere).
    fn store_with_alert() -> SqliteStore {
        let s = SqliteStore::open_in_memory().unwrap();
        s.connection()
            .execute_batch(
                "INSERT INTO events (first_seen, last_seen, lon, lat, max_frp_mw, detection_count,
                                     search_radius_km, region_id, county_id, created_at)
                     VALUES ('2025-06-10T05:00:00Z', '2025-06-10T05:00:00Z', 116.5, 35.4, 12.0, 1,
                             0.5, '379901001', '379901', '2025-06-10T05:10:00Z');
                 INSERT INTO alerts (event_id, region_id, county_id, state, created_at, updated_at)
                     VALUES (1, '379901001', '379901', 'new', '2025-06-10T05:10:00Z',
                             '2025-06-10T05:10:00Z');",
            )
            .unwrap();
        s
    }

    fn item(key: &str) -> OutboxItem {
        OutboxItem {
            idempotency_key: key.into(),
            channel_id: "c".into(),
            alert_id: Some(1),
            kind: "alert_overdue".into(),
            subject: "s".into(),
            body: "b".into(),
            not_before: Utc::now(),
        }
    }

    fn mark(s: &SqliteStore) -> (Option<String>, Option<u32>) {
        s.connection()
            .query_row(
                "SELECT overdue_step, overdue_level FROM alerts WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    }

    #[test]
    fn each_step_and_level_escalates_once_with_its_mark_and_rows() {
        let mut s = store_with_alert();
        let now = Utc::now();
        let p = &s.pending_alerts().unwrap()[0];
        assert!(p.escalated.is_empty());
        assert_eq!(p.first_seen.to_rfc3339(), "2025-06-10T05:00:00+00:00");

        let l1 = [item("alert:1:overdue:received:1:c")];
        assert!(s.mark_overdue(1, Step::Received, 1, now, &l1).unwrap());
        assert_eq!(mark(&s), (Some("received".into()), Some(1)));
        // Again, even with other rows: nothing written.
        let other = [item("alert:1:overdue:received:1:other")];
        assert!(!s.mark_overdue(1, Step::Received, 1, now, &other).unwrap());
        assert_eq!(s.notifications().unwrap().len(), 1);

        let l2 = [item("alert:1:overdue:received:2:c")];
        assert!(s.mark_overdue(1, Step::Received, 2, now, &l2).unwrap());
        assert_eq!(mark(&s), (Some("received".into()), Some(2)));
        assert_eq!(
            s.pending_alerts().unwrap()[0].escalated,
            vec![(Step::Received, 1), (Step::Received, 2)]
        );
        // A later step starts again at level 1.
        assert!(s.mark_overdue(1, Step::OnScene, 1, now, &[]).unwrap());
        assert_eq!(mark(&s), (Some("on_scene".into()), Some(1)));
        assert_eq!(s.notifications().unwrap().len(), 2);
    }

    #[test]
    fn a_step_done_after_the_notifier_looked_is_not_escalated() {
        let mut s = store_with_alert();
        // The notifier saw the alert new; the patrol received it before the mark was written.
        s.connection()
            .execute("UPDATE alerts SET state = 'received' WHERE id = 1", [])
            .unwrap();
        let l1 = [item("alert:1:overdue:received:1:c")];
        assert!(!s
            .mark_overdue(1, Step::Received, 1, Utc::now(), &l1)
            .unwrap());
        assert_eq!(mark(&s), (None, None));
        assert!(s.notifications().unwrap().is_empty());
        // The step it still owes escalates as usual.
        assert!(s
            .mark_overdue(1, Step::OnScene, 1, Utc::now(), &[])
            .unwrap());
        // A cancelled alert owes nothing.
        s.connection()
            .execute("UPDATE alerts SET state = 'cancelled' WHERE id = 1", [])
            .unwrap();
        assert!(!s
            .mark_overdue(1, Step::OnScene, 2, Utc::now(), &[])
            .unwrap());
    }

    #[test]
    fn a_failed_escalation_leaves_no_mark() {
        let mut s = store_with_alert();
        // A row for an alert that does not exist breaks the foreign key: the whole
        // transaction, escalation record and mark included, is rolled back.
        let mut bad = item("alert:9:overdue:received:1:c");
        bad.alert_id = Some(9);
        assert!(s
            .mark_overdue(1, Step::Received, 1, Utc::now(), &[bad])
            .is_err());
        assert_eq!(mark(&s), (None, None));
        assert!(s.pending_alerts().unwrap()[0].escalated.is_empty());
        assert!(s
            .mark_overdue(1, Step::Received, 1, Utc::now(), &[item("k")])
            .unwrap());
    }
}
