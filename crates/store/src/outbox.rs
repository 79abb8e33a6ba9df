//! The notification outbox and the deadline marks on alerts.

use crate::{fmt_time, parse_time, Result, SqliteStore, StoreError};
use burnwatch_core::AlertState;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

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
    pub region_id: Option<String>,
    pub county_id: Option<String>,
    pub overdue_step: Option<String>,
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
    /// Marks an alert overdue for `step` and queues the escalations, atomically; false when it
    /// was already marked for that step.
    fn mark_overdue(
        &mut self,
        alert_id: i64,
        step: &str,
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
        let mut stmt = self.connection().prepare_cached(
            "SELECT id, state, created_at, region_id, county_id, overdue_step FROM alerts
             WHERE state NOT IN ('verified', 'closed', 'cancelled') ORDER BY id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(
                |(alert_id, state, created, region_id, county_id, overdue_step)| {
                    Ok(PendingAlert {
                        alert_id,
                        state: AlertState::parse(&state).ok_or(StoreError::Corrupt {
                            column: "alerts.state",
                            value: state.clone(),
                        })?,
                        created_at: parse_time("alerts.created_at", &created)?,
                        region_id,
                        county_id,
                        overdue_step,
                    })
                },
            )
            .collect()
    }

    fn mark_overdue(
        &mut self,
        alert_id: i64,
        step: &str,
        at: DateTime<Utc>,
        escalations: &[OutboxItem],
    ) -> Result<bool> {
        let now = fmt_time(at);
        let tx = self.connection_mut().transaction()?;
        let changed = tx.execute(
            "UPDATE alerts SET overdue_step = ?2, overdue_at = ?3
             WHERE id = ?1 AND (overdue_step IS NULL OR overdue_step != ?2)",
            params![alert_id, step, now],
        )?;
        if changed == 1 {
            insert_items(&tx, escalations, &now)?;
        }
        tx.commit()?;
        Ok(changed == 1)
    }
}
