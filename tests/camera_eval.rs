//! `burnwatch eval camera` on the labelled real images of ../shared/data/camera: precision and
//! recall per label for the colour rules, alone and with temporal confirmation (the model's rows
//! are exercised by tests/camera_model.rs; a debug build runs the network too slowly for all 33
//! images here). Skips with a message when ../shared is absent.

mod common;

use common::*;

#[test]
fn eval_camera_prints_precision_and_recall_per_label() {
    let Some(data) = shared_data() else { return };
    let labels = data.join("camera/labels.csv");
    if !labels.is_file() {
        eprintln!("skipping: {} is absent", labels.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = ok(burnwatch(
        &dir.path().join("none.toml"),
        &[
            "eval",
            "camera",
            "--labels",
            labels.to_str().unwrap(),
            "--no-model",
            "--frames",
            "3",
        ],
    ));
    assert!(
        out.contains("33 images (10 fire, 11 smoke, 12 none)"),
        "{out}"
    );
    let row = |detector: &str, label: &str| -> (f64, f64) {
        let line = out
            .lines()
            .find(|l| {
                l.starts_with(detector)
                    && l[detector.len()..].split_whitespace().next() == Some(label)
            })
            .unwrap_or_else(|| panic!("no {detector} {label} row in\n{out}"));
        let f: Vec<&str> = line[detector.len()..].split_whitespace().collect();
        let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
        (num(f[1]), num(f[2]))
    };
    for detector in ["colour rules ", "colour rules + temporal (3 frames)"] {
        for label in ["fire", "smoke", "none", "alarm"] {
            row(detector, label);
        }
    }
    // The colour rules are candidate generators: they find every flame image, and (as the
    // literature warns) flag many hard negatives too.
    let (p, r) = row("colour rules ", "fire");
    assert!(r >= 0.9, "fire recall {r}");
    assert!(
        p < 0.9,
        "fire precision {p}: the hard negatives should fool the rules"
    );
}

#[test]
fn eval_camera_skips_clearly_without_the_labels() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(burnwatch(
        &dir.path().join("none.toml"),
        &[
            "eval",
            "camera",
            "--labels",
            dir.path().join("absent/labels.csv").to_str().unwrap(),
        ],
    ));
    assert!(
        out.starts_with("skipping:") && out.contains("absent"),
        "{out}"
    );
}
