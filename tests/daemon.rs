//! `burnwatch run` as a real process: the inbox, /healthz and /metrics, graceful stop, and a
//! crash test with SIGKILL at random moments.

mod common;

use common::*;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn inbox_file_count(inbox: &Path) -> usize {
    std::fs::read_dir(inbox)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_file())
        .count()
}

#[test]
fn the_daemon_ingests_its_inbox_reports_health_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let config = samples(dir.path());
    let port = free_port();
    daemon_config(&config, port, "");
    let inbox = dir.path().join("var/inbox");
    let mut daemon = start_daemon(&config);
    wait_for(30, "the HTTP port", || http_get(port, "/healthz").is_some());

    std::fs::create_dir_all(&inbox).unwrap();
    for p in products(dir.path()) {
        std::fs::copy(&p, inbox.join(p.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        inbox.join("not_a_product.csv"),
        "<html><body>502 Bad Gateway</body></html>\n",
    )
    .unwrap();
    // A file still being written (named .part by its writer) is never taken.
    std::fs::write(inbox.join("incoming.csv.part"), "latitude,longitude").unwrap();

    let done = inbox.join("done");
    wait_for(60, "all products in done/", || count_files(&done) == 5);
    wait_for(10, "the bad file in quarantine", || {
        dir.path().join("var/quarantine/not_a_product.csv").exists()
    });
    assert!(dir
        .path()
        .join("var/quarantine/not_a_product.csv.reason.txt")
        .exists());
    assert_eq!(count_files(&inbox.join("processing")), 0);
    assert!(inbox.join("incoming.csv.part").exists());
    assert_eq!(inbox_file_count(&inbox), 1);

    let (code, body) = http_get(port, "/healthz").unwrap();
    assert_eq!(code, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], "ok");
    assert!(
        health["sources"]["inbox"]["last_success"].is_string(),
        "{health}"
    );
    assert!(
        health["sources"]["inbox"]["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("not_a_product"),
        "{health}"
    );
    let (code, metrics) = http_get(port, "/metrics").unwrap();
    assert_eq!(code, 200);
    assert!(
        metrics.contains("burnwatch_files_total{outcome=\"stored\"} 5"),
        "{metrics}"
    );
    assert!(
        metrics.contains("burnwatch_files_total{outcome=\"quarantined\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("burnwatch_alerts_created_total"),
        "{metrics}"
    );

    let alerts: Vec<serde_json::Value> =
        serde_json::from_str(&ok(burnwatch(&config, &["alerts", "--format", "json"]))).unwrap();
    assert!(alerts.len() >= 20, "{} alerts", alerts.len());

    // The same files again: nothing new.
    for p in products(dir.path()) {
        std::fs::copy(
            &p,
            inbox.join(format!(
                "again_{}",
                p.file_name().unwrap().to_string_lossy()
            )),
        )
        .unwrap();
    }
    wait_for(60, "the repeats in done/", || count_files(&done) == 10);
    let again: Vec<serde_json::Value> =
        serde_json::from_str(&ok(burnwatch(&config, &["alerts", "--format", "json"]))).unwrap();
    assert_eq!(again.len(), alerts.len());

    let status = terminate(&mut daemon, 15);
    assert!(status.success(), "graceful stop exits 0, got {status}");
    let mut log = String::new();
    use std::io::Read;
    daemon
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(log.contains("stopped cleanly"), "{log}");
}

/// Builds a batch of product files: the demo products of several seeds (their fires overlap in
/// space, the VNP14IMG granules repeat the VIIRS CSVs) plus exact copies under other names.
fn batch(dir: &Path, seeds: u64) -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    for seed in 0..seeds {
        let out = dir.join(format!("gen{seed}"));
        ok(std::process::Command::new(env!("CARGO_BIN_EXE_burnwatch"))
            .args([
                "simulate",
                "samples",
                "--seed",
                &(100 + seed).to_string(),
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap());
        let mut names: Vec<PathBuf> = std::fs::read_dir(out.join("products"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        for p in names {
            let name = format!("{seed:02}_{}", p.file_name().unwrap().to_string_lossy());
            files.push((name, p));
        }
    }
    let copies: Vec<(String, PathBuf)> = files
        .iter()
        .step_by(4)
        .map(|(n, p)| (format!("zz_copy_{n}"), p.clone()))
        .collect();
    files.extend(copies);
    files
}

#[test]
fn sigkill_at_random_moments_loses_nothing_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = samples(dir.path());
    daemon_config(&config, 0, "");
    let inbox = dir.path().join("var/inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let files = batch(&dir.path().join("batch"), 12);

    // The reference: the same files, in the same order, through `burnwatch ingest`.
    let reference = dir.path().join("reference");
    let ref_config = samples(&reference);
    let mut args = vec!["ingest".to_owned()];
    let mut ordered = files.clone();
    ordered.sort();
    args.extend(ordered.iter().map(|(_, p)| p.display().to_string()));
    ok(burnwatch(
        &ref_config,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let ref_db = database(&reference);

    // Files land in name order, so the daemon sees them in the same order as the reference.
    for (name, p) in &ordered {
        let tmp = inbox.join(format!(".{name}.part"));
        std::fs::copy(p, &tmp).unwrap();
        std::fs::rename(&tmp, inbox.join(name)).unwrap();
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let done = inbox.join("done");
    // Count only the kills that struck while work was left: those are the ones that test
    // anything.
    let mut kills = 0;
    while kills < 20 && count_files(&done) < files.len() {
        let mut daemon = start_daemon(&config);
        std::thread::sleep(Duration::from_millis(rng.random_range(20..200)));
        daemon.kill().unwrap(); // SIGKILL
        daemon.wait().unwrap();
        if count_files(&done) < files.len() {
            kills += 1;
        }
    }
    assert!(
        kills >= 20,
        "only {kills} kills struck mid-batch: make the batch bigger"
    );
    let port = free_port();
    daemon_config(&config, port, "");
    let mut daemon = start_daemon(&config);
    wait_for(30, "the HTTP port", || http_get(port, "/healthz").is_some());
    wait_for(120, "every file in done/", || {
        count_files(&done) == files.len()
    });
    let status = terminate(&mut daemon, 15);
    let mut log = String::new();
    use std::io::Read;
    daemon
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(status.success(), "{status}: {log}");

    assert_eq!(
        count_files(&inbox.join("processing")),
        0,
        "nothing stuck in processing/"
    );
    assert_eq!(inbox_file_count(&inbox), 0, "nothing left in the inbox");
    let db = database(dir.path());
    for (what, sql) in [
        ("detections", "SELECT COUNT(*) FROM detections"),
        ("events", "SELECT COUNT(*) FROM events"),
        ("alerts", "SELECT COUNT(*) FROM alerts"),
        (
            "suppressed",
            "SELECT COUNT(*) FROM detections WHERE suppressed_by IS NOT NULL",
        ),
        ("transitions", "SELECT COUNT(*) FROM alert_transitions"),
    ] {
        assert_eq!(
            query_i64(&db, sql),
            query_i64(&ref_db, sql),
            "{what} after {kills} kills"
        );
    }
    assert_eq!(
        // Two rows of one pass within ~45 m (a box inside the 50 m same-pixel circle) would be
        // one pixel stored twice.
        query_i64(&db, "SELECT COUNT(*) FROM detections a JOIN detections b ON a.pass_key = b.pass_key AND a.id < b.id AND ABS(a.lat - b.lat) < 0.0003 AND ABS(a.lon - b.lon) < 0.00036"),
        0,
        "no pixel stored twice"
    );
    assert_eq!(
        query_i64(&db, "SELECT COUNT(*) FROM alerts a JOIN events e ON e.id = a.event_id WHERE NOT EXISTS (SELECT 1 FROM detections d WHERE d.event_id = e.id)"),
        0
    );
}
