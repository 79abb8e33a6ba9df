//! Helpers for the end-to-end tests: they run the real `burnwatch` binary against a real SQLite
//! file in a temporary folder.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn burnwatch(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_burnwatch"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("burnwatch runs")
}

pub fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "burnwatch failed: {}\nstdout: {}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// Generates the demo samples into `dir/samples` and returns the config path. The demo config
/// keeps its store in `dir/var/burnwatch.sqlite`, so each test has its own.
pub fn samples(dir: &Path) -> PathBuf {
    let out = Command::new(env!("CARGO_BIN_EXE_burnwatch"))
        .args(["simulate", "samples", "--out"])
        .arg(dir.join("samples"))
        .output()
        .expect("burnwatch runs");
    ok(out);
    dir.join("samples/burnwatch.toml")
}

pub fn database(dir: &Path) -> PathBuf {
    dir.join("var/burnwatch.sqlite")
}

pub fn products(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("samples/products"))
        .expect("products folder")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

/// The shared real data, or None (with a message) when it is absent.
pub fn shared_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if dir.join("jining").is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: ../shared/data is absent");
        None
    }
}
