//! The single writer: takes queued files one at a time through the pipeline. It runs on its own
//! OS thread because the store is a blocking SQLite connection.

use crate::inbox::Inbox;
use crate::status::{OutcomeLabel, Status};
use crate::Work;
use burnwatch_pipeline::Pipeline;
use burnwatch_store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

pub const SOURCE: &str = "worker";

fn outcome(o: &str) -> OutcomeLabel {
    OutcomeLabel {
        outcome: o.to_owned(),
    }
}

pub fn spawn<S: Store + Send + 'static>(
    mut pipeline: Pipeline<S>,
    mut queue: mpsc::Receiver<Work>,
    inbox: Arc<Inbox>,
    status: Arc<Status>,
    stop: watch::Receiver<bool>,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("burnwatch-worker".into())
        .spawn(move || {
            status.register(SOURCE);
            while let Some(work) = queue.blocking_recv() {
                // What is still queued is safe in processing/; the next start picks it up.
                if *stop.borrow() {
                    break;
                }
                status.metrics.queue_depth.set(queue.len() as i64);
                process(&mut pipeline, &work, &inbox, &status, &stop);
            }
            status.set_worker_alive(false);
        })
        .expect("the worker thread starts")
}

fn process<S: Store>(
    pipeline: &mut Pipeline<S>,
    work: &Work,
    inbox: &Inbox,
    status: &Status,
    stop: &watch::Receiver<bool>,
) {
    let m = &status.metrics;
    let mut delay = Duration::from_secs(1);
    loop {
        let started = Instant::now();
        // By content: camera-fire files from the camera fusion, product files from the rest.
        match pipeline.ingest_path(&work.path) {
            Ok(report) => {
                m.ingest_seconds.observe(started.elapsed().as_secs_f64());
                if report.quarantined_to.is_some() {
                    m.files.get_or_create(&outcome("quarantined")).inc();
                    status.failure(
                        &work.source,
                        &format!(
                            "{} quarantined: {}",
                            work.path.display(),
                            report.error.as_deref().unwrap_or("")
                        ),
                    );
                } else if let Some(err) = report.error {
                    // Unreadable and not movable: nothing we can do but report it.
                    m.files.get_or_create(&outcome("failed")).inc();
                    status.failure(&work.source, &err);
                } else {
                    m.files.get_or_create(&outcome("stored")).inc();
                    for (k, v) in [
                        ("new", report.detections_new),
                        ("duplicate", report.detections_duplicate),
                        ("suppressed", report.suppressed),
                        ("outside", report.outside),
                    ] {
                        m.detections.get_or_create(&outcome(k)).inc_by(v as u64);
                    }
                    m.alerts_created.inc_by(report.alerts_new as u64);
                    m.events_created.inc_by(report.events_new as u64);
                    if let Err(e) = inbox.finish(&work.path) {
                        // Stored, but still in processing/: re-ingested as all duplicates later.
                        tracing::warn!(file = %work.path.display(), error = %e, "cannot move to done/");
                    }
                    tracing::info!(
                        source = %work.source,
                        file = %work.path.display(),
                        rows = report.rows_read,
                        new = report.detections_new,
                        duplicate = report.detections_duplicate,
                        alerts = report.alerts_new,
                        "stored"
                    );
                }
                status.success(SOURCE, 1, report.rows_read as u64);
                return;
            }
            Err(e) => {
                // The store failed (disk full, locked): keep the file and retry, since giving up
                // would lose it; stop retrying only when the daemon stops.
                m.files.get_or_create(&outcome("retried")).inc();
                status.failure(SOURCE, &format!("{}: {e}", work.path.display()));
                tracing::error!(file = %work.path.display(), error = %e, "store failure, will retry");
                let deadline = Instant::now() + delay;
                while Instant::now() < deadline {
                    if *stop.borrow() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                delay = (delay * 2).min(Duration::from_secs(60));
            }
        }
    }
}
