//! Parse throughput on the real MODIS file. Run once, in release:
//! `cargo test -p burnwatch-ingest --release --test throughput -- --ignored --nocapture`

use std::path::PathBuf;
use std::time::Instant;

#[test]
#[ignore = "measurement, not a check: run with --release --ignored --nocapture"]
fn modis_rows_per_second() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/satellite/MODIS_C6_1_Global_24h_2025-11-18.csv");
    if !path.exists() {
        eprintln!("SKIPPED: {} is absent", path.display());
        return;
    }
    let bytes = std::fs::read(&path).unwrap();
    let runs = 50;
    for (what, f) in [
        (
            "parse_bytes",
            &(|| burnwatch_ingest::parse_bytes("m.csv", &bytes).unwrap())
                as &dyn Fn() -> burnwatch_ingest::ParsedFile,
        ),
        ("parse_file", &|| {
            burnwatch_ingest::parse_file(&path).unwrap()
        }),
    ] {
        let t = Instant::now();
        let mut rows = 0;
        for _ in 0..runs {
            rows += f().detections.len();
        }
        let s = t.elapsed().as_secs_f64();
        eprintln!(
            "{what}: {rows} rows in {s:.3} s = {:.0} rows/s ({:.1} MB/s)",
            rows as f64 / s,
            (bytes.len() * runs) as f64 / s / 1e6
        );
    }
}
