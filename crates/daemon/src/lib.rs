//! `burnwatch run`: the daemon that works unattended through a burning-ban season.
//!
//! ```text
//!  inbox scanner ─┐                                   ┌─ /healthz, /metrics (axum)
//!  FIRMS pollers ─┼─► processing/ ─► bounded channel ─► worker thread: Pipeline::ingest_file
//!  camera sources ─► frames/<camera>/ ─► detector ─► fusion ─► processing/ (camera-fire file)
//!                                                                     └─► done/ or quarantine/
//! ```
//!
//! Every source first makes its data durable as a file in `inbox/processing/` (an atomic rename),
//! then queues it. The single worker runs each file through the pipeline in one store transaction
//! and only then moves it to `done/`. So a crash at any point loses nothing: at start-up everything
//! still in `processing/` is queued again, and ingestion is idempotent, so a file processed twice
//! adds nothing the second time.

pub mod camera;
pub mod firms;
pub mod inbox;
mod release;
pub mod server;
pub mod status;
mod worker;

use burnwatch_core::Config;
use burnwatch_pipeline::Pipeline;
use burnwatch_store::Store;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use thiserror::Error;
use tokio::sync::{mpsc, watch};

pub use status::Status;

#[derive(Debug, Error)]
pub enum DaemonError {
    #[error("cannot prepare the inbox {path}: {source}")]
    Inbox {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("the FIRMS source is configured but has no MAP_KEY (set {0} or firms.map_key)")]
    NoMapKey(String),
    #[error("the FIRMS source needs a bbox: set firms.bbox or configure township boundaries")]
    NoBbox,
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the worker thread failed: {0}")]
    Worker(String),
    #[error("camera detection cannot start: {0}")]
    Camera(#[from] burnwatch_camera::CameraError),
    #[error("cannot open the store for the API: {0}")]
    Store(#[from] burnwatch_store::StoreError),
    #[error(transparent)]
    Release(#[from] release::ReleaseSetupError),
    #[error("notifications cannot start: {0}")]
    Notify(#[from] burnwatch_notify::NotifyError),
}

/// A product file waiting in `processing/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Work {
    pub path: PathBuf,
    /// Which source produced it: "inbox", "firms:VIIRS_SNPP_NRT", …
    pub source: String,
}

/// How many files may wait between the sources and the worker; a full queue makes the sources
/// wait, which is the back-pressure we want (the files are safe on disk meanwhile).
const QUEUE_CAPACITY: usize = 64;

/// Runs until `shutdown` resolves, then stops taking work, lets the file in flight finish (its
/// transaction commits or never started), and returns.
pub async fn run<S, F>(
    config: Config,
    pipeline: Pipeline<S>,
    firms_bbox: Option<[f64; 4]>,
    shutdown: F,
) -> Result<(), DaemonError>
where
    S: Store + Send + 'static,
    F: Future<Output = ()>,
{
    let status = Arc::new(Status::new());
    let inbox = Arc::new(inbox::Inbox::open(&config.inbox.dir)?);
    let (stop_tx, stop_rx) = watch::channel(false);
    let (work_tx, work_rx) = mpsc::channel::<Work>(QUEUE_CAPACITY);

    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .map_err(|source| DaemonError::Listen {
            addr: config.server.listen.clone(),
            source,
        })?;
    tracing::info!(addr = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "listening");
    let api = burnwatch_server::ApiState::open(&config)?
        .with_release(Arc::new(release::PipelineRelease::open(&config)?));
    let server = tokio::spawn(server::serve(
        listener,
        status.clone(),
        api,
        stop_rx.clone(),
    ));

    let worker = worker::spawn(
        pipeline,
        work_rx,
        inbox.clone(),
        status.clone(),
        stop_rx.clone(),
    );

    // Listed before any source starts, so a file a source deposits now is not also taken for
    // an earlier run's leftover and queued twice.
    let leftovers = inbox.unfinished().map_err(|source| DaemonError::Inbox {
        path: inbox.processing.clone(),
        source,
    })?;
    let mut tasks = Vec::new();
    tasks.push(tokio::spawn(inbox::scan(
        inbox.clone(),
        leftovers,
        config.inbox.clone(),
        work_tx.clone(),
        status.clone(),
        stop_rx.clone(),
    )));
    if let Some(firms) = &config.firms {
        let key = match &firms.map_key {
            Some(k) => k.clone(),
            None => std::env::var(&firms.map_key_env)
                .map_err(|_| DaemonError::NoMapKey(firms.map_key_env.clone()))?,
        };
        let bbox = firms.bbox.or(firms_bbox).ok_or(DaemonError::NoBbox)?;
        let budget = Arc::new(firms::TransactionBudget::new(
            firms.transaction_limit,
            std::time::Duration::from_secs_f64(firms.transaction_window_secs),
        ));
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs_f64(firms.timeout_secs))
            .user_agent(concat!("burnwatch/", env!("CARGO_PKG_VERSION")))
            .build()?;
        for product in &firms.products {
            tasks.push(tokio::spawn(firms::poll(
                firms::Poller {
                    client: client.clone(),
                    config: firms.clone(),
                    key: key.clone(),
                    product: product.clone(),
                    bbox,
                    budget: budget.clone(),
                },
                inbox.clone(),
                work_tx.clone(),
                status.clone(),
                stop_rx.clone(),
            )));
        }
    }
    let notifier = burnwatch_notify::Notifier::open(
        burnwatch_notify::Settings::from_config(&config),
        &config.store.path,
    )?;
    tasks.push(tokio::spawn(notify(
        notifier,
        status.clone(),
        stop_rx.clone(),
    )));
    if !config.cameras.is_empty() {
        // Profiles, models and the DEM load once, shared by every camera; loading reads files
        // (and GDAL), so off the async threads.
        let cfg = config.clone();
        let station =
            tokio::task::spawn_blocking(move || burnwatch_camera::Station::from_config(&cfg))
                .await
                .map_err(|e| DaemonError::Worker(e.to_string()))??;
        let (obs_tx, obs_rx) = mpsc::channel(QUEUE_CAPACITY);
        tasks.push(tokio::spawn(camera::fuse(
            obs_rx,
            burnwatch_camera::Fusion::new(station.fusion.clone()),
            station.fusion.hold_secs,
            inbox.clone(),
            work_tx.clone(),
            status.clone(),
            stop_rx.clone(),
        )));
        for cam in &config.cameras {
            let detection = station.watch(&cam.id).map(|watch| camera::FrameDetection {
                watch,
                observations: obs_tx.clone(),
            });
            tasks.push(tokio::spawn(camera::run(
                cam.clone(),
                config.frames.dir.clone(),
                status.clone(),
                stop_rx.clone(),
                detection,
            )));
        }
    }
    drop(work_tx);

    shutdown.await;
    tracing::info!("shutting down: no new work; finishing the file in flight");
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    let worker_result = tokio::task::spawn_blocking(move || worker.join())
        .await
        .map_err(|e| DaemonError::Worker(e.to_string()))?;
    let _ = server.await;
    worker_result.map_err(|_| DaemonError::Worker("the worker panicked".into()))?;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Announces new alerts, escalates missed deadlines and delivers the outbox, until stopped.
async fn notify(
    notifier: burnwatch_notify::Notifier,
    status: Arc<Status>,
    mut stop: watch::Receiver<bool>,
) {
    const SOURCE: &str = "notify";
    status.register(SOURCE);
    loop {
        match notifier.pass().await {
            Ok(pass) => {
                if pass.failed > 0 {
                    status.failure(
                        SOURCE,
                        &format!("{} notifications not delivered yet", pass.failed),
                    );
                } else {
                    status.success(SOURCE, pass.delivered as u64, 0);
                }
            }
            Err(e) => status.failure(SOURCE, &e.to_string()),
        }
        if sleep_or_stop(notifier.tick(), &mut stop).await {
            return;
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Sleeps for `d`, or returns early (true) when asked to stop.
pub(crate) async fn sleep_or_stop(
    d: std::time::Duration,
    stop: &mut watch::Receiver<bool>,
) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *stop.borrow(),
        _ = stop.changed() => true,
    }
}
