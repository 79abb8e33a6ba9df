//! What every source and the worker report: last success, lag, counts, errors — as JSON for
//! `/healthz` and as Prometheus metrics for `/metrics`.

use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceState {
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    pub successes: u64,
    pub failures: u64,
    /// Files (inbox, FIRMS) or frames (cameras) produced.
    pub items: u64,
    /// Data rows in those items, where the source knows.
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    #[serde(flatten)]
    pub state: SourceState,
    /// Seconds since the last success; None before the first.
    pub lag_seconds: Option<f64>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabel {
    pub source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: String,
}

pub struct Metrics {
    pub source_success: Family<SourceLabel, Counter>,
    pub source_failure: Family<SourceLabel, Counter>,
    pub source_last_success: Family<SourceLabel, Gauge>,
    pub files: Family<OutcomeLabel, Counter>,
    pub detections: Family<OutcomeLabel, Counter>,
    pub alerts_created: Counter,
    pub events_created: Counter,
    pub ingest_seconds: Histogram,
    pub queue_depth: Gauge,
}

pub struct Status {
    sources: Mutex<BTreeMap<String, SourceState>>,
    pub metrics: Metrics,
    registry: Registry,
    worker_alive: AtomicBool,
    started: DateTime<Utc>,
}

impl Default for Status {
    fn default() -> Self {
        Self::new()
    }
}

impl Status {
    pub fn new() -> Self {
        let metrics = Metrics {
            source_success: Family::default(),
            source_failure: Family::default(),
            source_last_success: Family::default(),
            files: Family::default(),
            detections: Family::default(),
            alerts_created: Counter::default(),
            events_created: Counter::default(),
            ingest_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 16)),
            queue_depth: Gauge::default(),
        };
        let mut registry = Registry::with_prefix("burnwatch");
        registry.register(
            "source_success",
            "Successful polls, scans or frames per source",
            metrics.source_success.clone(),
        );
        registry.register(
            "source_failure",
            "Failed polls or frames per source",
            metrics.source_failure.clone(),
        );
        registry.register(
            "source_last_success_timestamp_seconds",
            "Unix time of each source's last success",
            metrics.source_last_success.clone(),
        );
        registry.register(
            "files",
            "Files through the pipeline by outcome (stored, quarantined, failed)",
            metrics.files.clone(),
        );
        registry.register(
            "detections",
            "Detections by outcome (new, duplicate, suppressed, outside)",
            metrics.detections.clone(),
        );
        registry.register(
            "alerts_created",
            "Alerts raised",
            metrics.alerts_created.clone(),
        );
        registry.register(
            "events_created",
            "Fire events created",
            metrics.events_created.clone(),
        );
        registry.register(
            "ingest_seconds",
            "Time to run one file through the pipeline",
            metrics.ingest_seconds.clone(),
        );
        registry.register(
            "queue_depth",
            "Files queued for the worker",
            metrics.queue_depth.clone(),
        );
        Self {
            sources: Mutex::new(BTreeMap::new()),
            metrics,
            registry,
            worker_alive: AtomicBool::new(true),
            started: Utc::now(),
        }
    }

    fn label(source: &str) -> SourceLabel {
        SourceLabel {
            source: source.to_owned(),
        }
    }

    /// Makes a source visible before its first poll.
    pub fn register(&self, source: &str) {
        self.lock().entry(source.to_owned()).or_default();
    }

    pub fn success(&self, source: &str, items: u64, rows: u64) {
        let now = Utc::now();
        {
            let mut map = self.lock();
            let s = map.entry(source.to_owned()).or_default();
            s.last_success = Some(now);
            s.consecutive_failures = 0;
            s.successes += 1;
            s.items += items;
            s.rows += rows;
        }
        self.metrics
            .source_success
            .get_or_create(&Self::label(source))
            .inc();
        self.metrics
            .source_last_success
            .get_or_create(&Self::label(source))
            .set(now.timestamp());
    }

    pub fn failure(&self, source: &str, error: &str) {
        {
            let mut map = self.lock();
            let s = map.entry(source.to_owned()).or_default();
            s.last_error = Some(error.to_owned());
            s.last_error_at = Some(Utc::now());
            s.consecutive_failures += 1;
            s.failures += 1;
        }
        self.metrics
            .source_failure
            .get_or_create(&Self::label(source))
            .inc();
    }

    pub fn sources(&self) -> BTreeMap<String, SourceReport> {
        let now = Utc::now();
        self.lock()
            .iter()
            .map(|(k, s)| {
                (
                    k.clone(),
                    SourceReport {
                        state: s.clone(),
                        lag_seconds: s
                            .last_success
                            .map(|t| (now - t).num_milliseconds() as f64 / 1000.0),
                    },
                )
            })
            .collect()
    }

    pub fn set_worker_alive(&self, alive: bool) {
        self.worker_alive.store(alive, Ordering::SeqCst);
    }

    pub fn worker_alive(&self) -> bool {
        self.worker_alive.load(Ordering::SeqCst)
    }

    pub fn started(&self) -> DateTime<Utc> {
        self.started
    }

    pub fn encode_metrics(&self) -> String {
        let mut out = String::new();
        // Encoding into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, SourceState>> {
        // A panic elsewhere while holding the lock leaves plain counters behind: still usable.
        self.sources.lock().unwrap_or_else(|e| e.into_inner())
    }
}
