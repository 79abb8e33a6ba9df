//! Ingest throughput on the real FIRMS MODIS global 24 h file (6,624 rows), measured side by side
//! in one run: parsing alone, and the whole path (parse, dedup, filter, route against the Jining
//! townships, events, one SQLite transaction) into a fresh store. Also the re-ingest of the same
//! file, which must create nothing.
//!
//! `cargo bench --bench ingest`. Skips with a message when ../shared/data is absent.

use burnwatch_core::config::{Config, LayerConfig, RegionsConfig};
use burnwatch_pipeline::{Pipeline, ProductFlagFilter, Routing};
use burnwatch_store::SqliteStore;
use std::path::Path;
use std::time::Instant;

const RUNS: usize = 5;

fn main() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    let modis = data.join("satellite/MODIS_C6_1_Global_24h_2025-11-18.csv");
    if !modis.exists() {
        eprintln!("skipping: {} is absent", modis.display());
        return;
    }
    let regions = RegionsConfig {
        counties: Some(LayerConfig {
            path: data.join("jining/jining_district_tianditu_wgs84.geojson"),
            layer: None,
            id_field: "district_adcode".into(),
            name_field: Some("district_name".into()),
            parent_field: None,
            crs: Default::default(),
        }),
        townships: Some(LayerConfig {
            path: data.join("jining/SYNTHETIC_jining_townships_voronoi_wgs84.geojson"),
            layer: None,
            id_field: "code9".into(),
            name_field: Some("name".into()),
            parent_field: Some("county_code".into()),
            crs: Default::default(),
        }),
        border_km: 0.5,
    };

    let mut parse_best = f64::MAX;
    let mut rows = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let parsed = burnwatch_ingest::parse_file(&modis).expect("the MODIS file parses");
        parse_best = parse_best.min(t.elapsed().as_secs_f64());
        rows = parsed.rows_read;
    }

    let mut full_best = f64::MAX;
    let mut again_best = f64::MAX;
    for run in 0..RUNS {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::default();
        config.store.path = dir.path().join("bench.sqlite");
        config.ingest.quarantine_dir = dir.path().join("quarantine");
        config.regions = regions.clone();
        let routing = Routing::load(&config.regions).expect("Jining regions load");
        let store = SqliteStore::open(&config.store.path).expect("store opens");
        let mut pipeline =
            Pipeline::new(store, routing, vec![Box::new(ProductFlagFilter)], &config);
        let t = Instant::now();
        let report = pipeline.ingest_file(&modis).expect("ingest");
        full_best = full_best.min(t.elapsed().as_secs_f64());
        assert_eq!(report.detections_new, rows);
        let t = Instant::now();
        let again = pipeline.ingest_file(&modis).expect("re-ingest");
        again_best = again_best.min(t.elapsed().as_secs_f64());
        assert_eq!(again.detections_new, 0);
        if run == 0 {
            println!(
                "MODIS file: {rows} rows, {} outside Jining, {} alerts",
                report.outside, report.alerts_new
            );
        }
    }
    println!("best of {RUNS} runs, one thread:");
    println!(
        "  parse only        {:>8.1} ms  {:>10.0} rows/s",
        parse_best * 1e3,
        rows as f64 / parse_best
    );
    println!(
        "  full ingest       {:>8.1} ms  {:>10.0} rows/s  ({:.2}x the parse time)",
        full_best * 1e3,
        rows as f64 / full_best,
        full_best / parse_best
    );
    println!(
        "  re-ingest (dups)  {:>8.1} ms  {:>10.0} rows/s",
        again_best * 1e3,
        rows as f64 / again_best
    );
}
