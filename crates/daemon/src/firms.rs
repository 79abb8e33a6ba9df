//! NASA FIRMS area API: each configured product is polled for the region's bounding box on a
//! schedule. Polls overlap (a day range covers earlier polls), which the pipeline's same-pixel
//! identity turns into duplicates, not new alerts. A response is data only if it parses as a
//! FIRMS product: an HTML error page, a key error or a truncated body is a failed poll, retried
//! with back-off.

use crate::inbox::Inbox;
use crate::status::Status;
use crate::{sleep_or_stop, Work};
use burnwatch_core::daemon_config::FirmsConfig;
use chrono::Utc;
use rand::Rng;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::sync::{mpsc, watch, Mutex};

/// FIRMS counts transactions per key: a request for N days costs N. Polls of all products share
/// one budget.
pub struct TransactionBudget {
    limit: u32,
    window: Duration,
    spent: Mutex<VecDeque<(Instant, u32)>>,
}

impl TransactionBudget {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            spent: Mutex::new(VecDeque::new()),
        }
    }

    /// Waits until `cost` transactions fit in the window, then records them.
    pub async fn acquire(&self, cost: u32) {
        loop {
            let wait = {
                let mut spent = self.spent.lock().await;
                let now = Instant::now();
                while spent
                    .front()
                    .is_some_and(|(t, _)| now.duration_since(*t) >= self.window)
                {
                    spent.pop_front();
                }
                let used: u32 = spent.iter().map(|(_, c)| c).sum();
                if used + cost <= self.limit || spent.is_empty() {
                    spent.push_back((now, cost));
                    return;
                }
                let oldest = spent.front().map(|(t, _)| *t).unwrap_or(now);
                (oldest + self.window).saturating_duration_since(now)
            };
            tokio::time::sleep(wait.max(Duration::from_millis(10))).await;
        }
    }
}

#[derive(Debug, Error)]
pub enum PollError {
    #[error("request failed: {0}")]
    Request(#[from] reqwest::Error),
    #[error("HTTP {code}: {body}")]
    Status {
        code: u16,
        retry_after: Option<Duration>,
        body: String,
    },
    #[error("the response is not FIRMS data: {0}")]
    NotData(String),
    #[error("the response was cut off (last line incomplete)")]
    Truncated,
    #[error("cannot keep the response: {0}")]
    Deposit(std::io::Error),
}

pub struct Poller {
    pub client: reqwest::Client,
    pub config: FirmsConfig,
    pub key: String,
    pub product: String,
    pub bbox: [f64; 4],
    pub budget: Arc<TransactionBudget>,
}

/// A poll that returned data.
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub rows: usize,
}

impl Poller {
    pub fn source_name(&self) -> String {
        format!("firms:{}", self.product)
    }

    pub fn url(&self) -> String {
        let [w, s, e, n] = self.bbox;
        format!(
            "{}/api/area/csv/{}/{}/{w:.4},{s:.4},{e:.4},{n:.4}/{}",
            self.config.base_url.trim_end_matches('/'),
            self.key,
            self.product,
            self.config.day_range
        )
    }

    pub async fn fetch(&self) -> Result<Fetched, PollError> {
        let response = self.client.get(self.url()).send().await?;
        let code = response.status();
        if !code.is_success() {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let body = response.text().await.unwrap_or_default();
            return Err(PollError::Status {
                code: code.as_u16(),
                retry_after,
                body: body.chars().take(200).collect(),
            });
        }
        let is_html = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("html"));
        // A body shorter than its Content-Length fails here, as a request error.
        let bytes = response.bytes().await?.to_vec();
        if is_html {
            return Err(PollError::NotData("an HTML page".into()));
        }
        let name = format!("{}.csv", self.product);
        let parsed = burnwatch_ingest::parse_bytes(&name, &bytes)
            .map_err(|e| PollError::NotData(e.to_string()))?;
        // FIRMS ends every line with a newline; a last line without one that does not parse is
        // a cut-off body, and keeping its other rows would hide the loss.
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            let last_line = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
            if parsed.rejected.iter().any(|r| r.line == last_line) {
                return Err(PollError::Truncated);
            }
        }
        Ok(Fetched {
            rows: parsed.rows_read,
            bytes,
        })
    }

    fn backoff(&self, failures: u32, retry_after: Option<Duration>) -> Duration {
        let min = self.config.retry_min_secs;
        let max = self.config.retry_max_secs.max(min);
        let exp = (min * 2f64.powi(failures.saturating_sub(1).min(30) as i32)).min(max);
        // Jitter keeps several products from retrying in lockstep.
        let jittered = exp * rand::rng().random_range(0.8..1.2);
        let d = Duration::from_secs_f64(jittered.max(0.0));
        retry_after.map_or(d, |r| r.max(d))
    }
}

/// Polls one product until stopped.
pub async fn poll(
    poller: Poller,
    inbox: Arc<Inbox>,
    work: mpsc::Sender<Work>,
    status: Arc<Status>,
    mut stop: watch::Receiver<bool>,
) {
    let source = poller.source_name();
    status.register(&source);
    let interval = Duration::from_secs_f64(poller.config.interval_secs);
    let mut failures = 0u32;
    loop {
        tokio::select! {
            _ = poller.budget.acquire(poller.config.day_range as u32) => {},
            _ = stop.changed() => return,
        }
        let result = tokio::select! {
            r = poller.fetch() => r,
            _ = stop.changed() => return,
        };
        let next = match result {
            Ok(fetched) => {
                failures = 0;
                let mut items = 0;
                if fetched.rows > 0 {
                    let name = format!(
                        "FIRMS_{}_{}.csv",
                        poller.product,
                        Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
                    );
                    match inbox.deposit(&name, &fetched.bytes) {
                        Ok(path) => {
                            items = 1;
                            let item = Work {
                                path,
                                source: source.clone(),
                            };
                            tokio::select! {
                                r = work.send(item) => if r.is_err() { return },
                                _ = stop.changed() => return,
                            }
                        }
                        Err(e) => {
                            status.failure(&source, &PollError::Deposit(e).to_string());
                            failures += 1;
                        }
                    }
                }
                if failures == 0 {
                    status.success(&source, items, fetched.rows as u64);
                    interval
                } else {
                    poller.backoff(failures, None)
                }
            }
            Err(e) => {
                failures += 1;
                tracing::warn!(source = %source, error = %e, failures, "FIRMS poll failed");
                status.failure(&source, &e.to_string());
                let retry_after = match &e {
                    PollError::Status { retry_after, .. } => *retry_after,
                    _ => None,
                };
                poller.backoff(failures, retry_after)
            }
        };
        if sleep_or_stop(next, &mut stop).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_budget_waits_when_the_window_is_spent() {
        let budget = TransactionBudget::new(3, Duration::from_millis(300));
        let start = Instant::now();
        budget.acquire(2).await;
        budget.acquire(1).await;
        assert!(start.elapsed() < Duration::from_millis(100));
        budget.acquire(1).await;
        assert!(
            start.elapsed() >= Duration::from_millis(290),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn the_url_has_the_area_api_shape() {
        let p = Poller {
            client: reqwest::Client::new(),
            config: toml_config(
                "base_url = \"http://127.0.0.1:9/\"\nproducts = [\"MODIS_NRT\"]\nday_range = 2",
            ),
            key: "KEY".into(),
            product: "MODIS_NRT".into(),
            bbox: [115.86, 34.45, 117.59, 35.98],
            budget: Arc::new(TransactionBudget::new(10, Duration::from_secs(1))),
        };
        assert_eq!(
            p.url(),
            "http://127.0.0.1:9/api/area/csv/KEY/MODIS_NRT/115.8600,34.4500,117.5900,35.9800/2"
        );
        let d = p.backoff(1, Some(Duration::from_secs(30)));
        assert!(d >= Duration::from_secs(30));
        let d = p.backoff(20, None);
        assert!(d <= Duration::from_secs_f64(600.0 * 1.2));
    }

    fn toml_config(s: &str) -> FirmsConfig {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, format!("[firms]\n{s}\n")).unwrap();
        burnwatch_core::Config::load(&p).unwrap().firms.unwrap()
    }
}
