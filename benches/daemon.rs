//! The daemon end to end, in one process and one run: the time from a file landing in the inbox
//! to its alerts being in the queue, against the pipeline alone on the same file; and sustained
//! ingest in rows per second over a stream of files.
//!
//! `cargo bench --bench daemon`.

use burnwatch_core::Config;
use burnwatch_pipeline::{Pipeline, ProductFlagFilter, Routing};
use burnwatch_sim::DemoPrefecture;
use burnwatch_store::{SqliteStore, Store};
use chrono::{Duration as Span, TimeZone, Utc};
use std::path::Path;
use std::time::{Duration, Instant};

const ROWS: usize = 10_000;
const STREAM_FILES: usize = 20;

fn pipeline(config: &Config) -> Pipeline<SqliteStore> {
    let routing = Routing::load(&config.regions).expect("regions load");
    let mut store = SqliteStore::open(&config.store.path).expect("store opens");
    store
        .replace_regions(&routing.region_rows().expect("rows"))
        .expect("regions stored");
    Pipeline::new(store, routing, vec![Box::new(ProductFlagFilter)], config)
}

fn count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| c.query_row(sql, [], |r| r.get(0)))
        .unwrap_or(0)
}

/// Files the daemon has finished (moved to done/ after their transaction committed).
fn done(inbox: &Path) -> usize {
    std::fs::read_dir(inbox.join("done"))
        .map(|days| {
            days.flatten()
                .map(|d| std::fs::read_dir(d.path()).map(|f| f.count()).unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

fn drop_file(inbox: &Path, name: &str, text: &str) {
    let tmp = inbox.join(format!(".{name}.part"));
    std::fs::write(&tmp, text).expect("write");
    std::fs::rename(&tmp, inbox.join(name)).expect("rename");
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    burnwatch_sim::write_samples(&dir.path().join("samples"), 20250610).expect("samples");
    let config_path = dir.path().join("samples/burnwatch.toml");
    let text = std::fs::read_to_string(&config_path).expect("config");
    let text = text
        .replace("listen = \"127.0.0.1:8080\"", "listen = \"127.0.0.1:0\"")
        .replace("scan_interval_secs = 1", "scan_interval_secs = 0.02")
        .replace("settle_secs = 1", "settle_secs = 0");
    std::fs::write(&config_path, text).expect("config");
    let mut config = Config::load(&config_path).expect("config loads");
    // The samples were written outside the repository: point at its sensor profiles.
    config.detect.models_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let prefecture = DemoPrefecture::generate(20250610);
    // One pass a day, as a season's polls arrive: each day's fires are new fires.
    let pass = |k: i64| Utc.with_ymd_and_hms(2025, 6, 10, 5, 0, 0).unwrap() + Span::hours(25 * k);
    let files: Vec<String> = (0..=STREAM_FILES as i64 + 1)
        .map(|k| burnwatch_sim::viirs_csv(&prefecture, ROWS, k as u64, pass(k)))
        .collect();

    // The pipeline alone, on a separate store: the floor the daemon adds to.
    let direct_dir = tempfile::tempdir().expect("temp dir");
    let mut direct_config = config.clone();
    direct_config.store.path = direct_dir.path().join("direct.sqlite");
    let mut direct = pipeline(&direct_config);
    let f = direct_dir.path().join("one.csv");
    std::fs::write(&f, &files[0]).expect("write");
    let t = Instant::now();
    let report = direct.ingest_file(&f).expect("ingest");
    let direct_time = t.elapsed();
    // Random fires may share a pixel: nearly all rows are new detections.
    assert!(report.detections_new > ROWS * 99 / 100, "{report:?}");

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let daemon_config = config.clone();
    let daemon = runtime.spawn(burnwatch_daemon::run(
        daemon_config,
        pipeline(&config),
        None,
        async move {
            let _ = stop_rx.await;
        },
    ));
    let inbox = config.inbox.dir.clone();
    let db = config.store.path.clone();
    std::thread::sleep(Duration::from_millis(300));

    let t = Instant::now();
    drop_file(&inbox, "latency.csv", &files[0]);
    while done(&inbox) < 1 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let latency = t.elapsed();
    let alerts = count(&db, "SELECT COUNT(*) FROM alerts");

    let t = Instant::now();
    for (k, text) in files[1..=STREAM_FILES].iter().enumerate() {
        drop_file(&inbox, &format!("stream_{k:02}.csv"), text);
    }
    while done(&inbox) < STREAM_FILES + 1 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let stored = count(&db, "SELECT COUNT(*) FROM detections");
    let stream = t.elapsed();
    // A simulated VIIRS I-band granule over the demo region (192 × 192 pixels, 72 × 72 km) through
    // the detector, from landing in the inbox to its alerts in the queue.
    let profile = burnwatch_detect::SensorProfile::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("models"),
        "viirs-375m",
    )
    .expect("profile");
    let mut o = burnwatch_detect::sim::SimOptions::new(7, false);
    (o.rows, o.cols, o.fires) = (192, 192, 60);
    (o.centre_lon, o.centre_lat) = (116.57, 35.15);
    let granule = burnwatch_detect::sim::simulate(&profile, &o);
    let staging = dir.path().join("granule.tif");
    burnwatch_detect::write_granule(
        &staging,
        &granule.scene,
        &profile,
        burnwatch_detect::GranuleFormat::GeoTiff,
    )
    .expect("granule written");
    let alerts_before = count(&db, "SELECT COUNT(*) FROM alerts");
    let t = Instant::now();
    std::fs::rename(&staging, inbox.join("granule.tif")).expect("drop granule");
    let rejected = config.ingest.quarantine_dir.join("granule.tif.reason.txt");
    while done(&inbox) < STREAM_FILES + 2 {
        if let Ok(why) = std::fs::read_to_string(&rejected) {
            panic!("the granule was quarantined: {why}");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let granule_latency = t.elapsed();
    let granule_alerts = count(&db, "SELECT COUNT(*) FROM alerts") - alerts_before;
    let _ = stop_tx.send(());
    runtime.block_on(daemon).expect("join").expect("daemon ran");

    println!("point product of {ROWS} rows ({alerts} alerts), one run:");
    println!(
        "  pipeline alone (ingest_file)      {:>8.1} ms",
        direct_time.as_secs_f64() * 1e3
    );
    println!(
        "  inbox landing → alerts in queue   {:>8.1} ms  ({:.2}x the pipeline alone; scan interval 20 ms)",
        latency.as_secs_f64() * 1e3,
        latency.as_secs_f64() / direct_time.as_secs_f64()
    );
    println!(
        "simulated VIIRS granule 192×192 ({} fires, {granule_alerts} alerts): inbox landing → alerts in queue {:.1} ms",
        granule.truth.len(),
        granule_latency.as_secs_f64() * 1e3
    );
    println!(
        "sustained: {STREAM_FILES} files × {ROWS} rows in {:.2} s = {:.0} rows/s ({stored} detections stored)",
        stream.as_secs_f64(),
        (STREAM_FILES * ROWS) as f64 / stream.as_secs_f64()
    );
}
