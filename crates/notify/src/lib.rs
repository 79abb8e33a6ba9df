//! Telling people. New alerts and missed deadlines become rows in the store's outbox, each with an
//! idempotency key, in the same transaction that records why (the cursor over alerts, the
//! escalation and overdue mark). A delivery loop sends due rows to their channel and retries
//! failures with back-off, so every notification is delivered at least once and never queued
//! twice.
//!
//! Deadlines are the shared `[deadlines]` and `[[seasons]]` (`burnwatch_core::schedule`), the same
//! the statistics judge by. A missed step escalates level by level (`[[notify.escalation]]`):
//! the county at once, the prefecture if the step is still not done a configured time later.

pub mod channels;
pub mod email;
pub mod plan;

pub use plan::Settings;

use burnwatch_core::notify_config::{ChannelConfig, ChannelKind};
use burnwatch_store::{OutboxStore, SqliteStore, Store, StoreError};
use chrono::{Duration, Utc};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum NotifyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("notify channel {id:?}: {message}")]
    Channel { id: String, message: String },
}

/// How many rows one pass handles; the next tick takes the rest.
const BATCH: usize = 200;

pub struct Notifier {
    settings: Settings,
    store: Arc<Mutex<SqliteStore>>,
    channels: HashMap<String, ChannelConfig>,
    client: reqwest::Client,
}

/// What one pass did, for status and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pass {
    pub queued: usize,
    pub escalated: usize,
    pub delivered: usize,
    pub failed: usize,
}

impl Notifier {
    pub fn open(settings: Settings, store_path: &Path) -> Result<Self, NotifyError> {
        for c in &settings.notify.channels {
            if c.kind == ChannelKind::Email {
                email::Mailer::new(c).map_err(|message| NotifyError::Channel {
                    id: c.id.clone(),
                    message,
                })?;
            }
        }
        let channels = settings
            .notify
            .channels
            .iter()
            .map(|c| (c.id.clone(), c.clone()))
            .collect();
        Ok(Self {
            settings,
            store: Arc::new(Mutex::new(SqliteStore::open(store_path)?)),
            channels,
            client: reqwest::Client::new(),
        })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut SqliteStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&mut store.lock().unwrap_or_else(|e| e.into_inner())))
            .await
            .unwrap_or_else(|e| {
                Err(StoreError::Corrupt {
                    column: "notifier task",
                    value: e.to_string(),
                })
            })
    }

    /// Queues notifications for alerts raised since the last pass.
    pub async fn announce(&self) -> Result<usize, StoreError> {
        let settings = self.settings.clone();
        self.blocking(move |s| {
            let cursor = s.notify_cursor()?;
            let ids = s.alert_ids_after(cursor, BATCH)?;
            let Some(&last) = ids.last() else {
                return Ok(0);
            };
            let now = Utc::now();
            let mut items = Vec::new();
            for id in ids {
                items.extend(plan::new_alert_items(&s.alert(id)?, &settings, now));
            }
            s.enqueue(&items, Some(last))
        })
        .await
    }

    /// Escalates alerts whose step deadline (plus a level's delay) has passed: each (step,
    /// level) once, its overdue mark and its notifications in one transaction.
    pub async fn check_deadlines(&self) -> Result<usize, StoreError> {
        let settings = self.settings.clone();
        self.blocking(move |s| {
            let now = Utc::now();
            let mut escalated = 0;
            for pending in s.pending_alerts()? {
                let due = plan::escalations_due(&pending, &settings, now);
                if due.is_empty() {
                    continue;
                }
                let alert = s.alert(pending.alert_id)?;
                for e in due {
                    let items = plan::escalation_items(&alert, e, &settings, now);
                    if s.mark_overdue(pending.alert_id, e.step, e.level, now, &items)? {
                        tracing::warn!(
                            alert = pending.alert_id,
                            step = e.step.as_str(),
                            level = e.level,
                            "deadline missed, escalated"
                        );
                        escalated += 1;
                    }
                }
            }
            Ok(escalated)
        })
        .await
    }

    /// Sends what is due; failures are retried later with back-off.
    pub async fn deliver_due(&self) -> Result<(usize, usize), StoreError> {
        let due = self
            .blocking(|s| s.due_notifications(Utc::now(), BATCH))
            .await?;
        let (mut delivered, mut failed) = (0, 0);
        for item in due {
            let result = match self.channels.get(&item.channel_id) {
                Some(channel) => channels::deliver(&self.client, channel, &item)
                    .await
                    .map_err(|e| e.to_string()),
                None => Err(format!(
                    "channel {:?} is no longer configured",
                    item.channel_id
                )),
            };
            let now = Utc::now();
            match result {
                Ok(detail) => {
                    delivered += 1;
                    self.blocking(move |s| s.mark_delivered(item.id, now, &detail))
                        .await?;
                }
                Err(error) => {
                    failed += 1;
                    let exp = self.settings.notify.retry_min_secs
                        * 2f64.powi(item.attempts.min(20) as i32);
                    let retry_at = now
                        + Duration::milliseconds(
                            (exp.min(self.settings.notify.retry_max_secs) * 1000.0) as i64,
                        );
                    tracing::warn!(key = %item.idempotency_key, %error, "notification not delivered, will retry");
                    self.blocking(move |s| s.mark_failed(item.id, now, &error, retry_at))
                        .await?;
                }
            }
        }
        Ok((delivered, failed))
    }

    pub async fn pass(&self) -> Result<Pass, StoreError> {
        let queued = self.announce().await?;
        let escalated = self.check_deadlines().await?;
        let (delivered, failed) = self.deliver_due().await?;
        Ok(Pass {
            queued,
            escalated,
            delivered,
            failed,
        })
    }

    pub fn tick(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.settings.notify.tick_secs)
    }
}
