//! Alert states through the command line: the legal path, refusals, and the append-only trail.

mod common;

use common::*;

fn ingested_demo(dir: &std::path::Path) -> (std::path::PathBuf, i64) {
    let config = samples(dir);
    let mut args = vec!["ingest".to_owned()];
    args.extend(products(dir).iter().map(|f| f.display().to_string()));
    ok(burnwatch(
        &config,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let alerts: Vec<serde_json::Value> =
        serde_json::from_str(&ok(burnwatch(&config, &["alerts", "--format", "json"]))).unwrap();
    (config, alerts[0]["alert_id"].as_i64().unwrap())
}

#[test]
fn an_alert_walks_its_states_and_every_step_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (config, id) = ingested_demo(dir.path());
    let id_s = id.to_string();
    for state in ["dispatched", "received", "en_route", "on_scene"] {
        let out = ok(burnwatch(
            &config,
            &["transition", &id_s, state, "--actor", "patrol-li"],
        ));
        assert!(out.contains(state), "{out}");
    }
    let refused = burnwatch(
        &config,
        &["transition", &id_s, "verified", "--actor", "patrol-li"],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("needs an outcome"));
    ok(burnwatch(
        &config,
        &[
            "transition",
            &id_s,
            "verified",
            "--actor",
            "patrol-li",
            "--outcome",
            "confirmed_straw_burn",
            "--note",
            "3 亩",
        ],
    ));
    let back = burnwatch(
        &config,
        &["transition", &id_s, "received", "--actor", "patrol-li"],
    );
    assert!(!back.status.success());
    let msg = String::from_utf8_lossy(&back.stderr);
    assert!(
        msg.contains("verified") && msg.contains("received"),
        "{msg}"
    );
    ok(burnwatch(
        &config,
        &["transition", &id_s, "closed", "--actor", "county-duty"],
    ));

    let history = ok(burnwatch(&config, &["history", &id_s]));
    let lines: Vec<&str> = history.lines().collect();
    assert_eq!(lines.len(), 7, "{history}");
    assert!(lines[0].contains("new") && lines[0].contains("burnwatch-ingest"));
    assert!(lines[5].contains("outcome=confirmed_straw_burn") && lines[5].contains("patrol-li"));
    assert!(lines[6].contains("closed") && lines[6].contains("county-duty"));

    let verified: Vec<serde_json::Value> = serde_json::from_str(&ok(burnwatch(
        &config,
        &["alerts", "--status", "closed", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0]["outcome"], "confirmed_straw_burn");
}

#[test]
fn cancelling_needs_a_reason_and_unknown_alerts_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (config, id) = ingested_demo(dir.path());
    let id_s = id.to_string();
    let no_reason = burnwatch(
        &config,
        &["transition", &id_s, "cancelled", "--actor", "duty"],
    );
    assert!(String::from_utf8_lossy(&no_reason.stderr).contains("needs a reason"));
    ok(burnwatch(
        &config,
        &[
            "transition",
            &id_s,
            "cancelled",
            "--actor",
            "duty",
            "--reason",
            "duplicate of a camera alert",
        ],
    ));
    let after = burnwatch(
        &config,
        &["transition", &id_s, "received", "--actor", "duty"],
    );
    assert!(String::from_utf8_lossy(&after.stderr).contains("already finished"));
    let missing = burnwatch(
        &config,
        &["transition", "999999", "received", "--actor", "duty"],
    );
    assert!(String::from_utf8_lossy(&missing.stderr).contains("alert 999999 does not exist"));
    let bad_outcome = burnwatch(
        &config,
        &[
            "transition",
            &id_s,
            "verified",
            "--actor",
            "x",
            "--outcome",
            "fire",
        ],
    );
    assert!(String::from_utf8_lossy(&bad_outcome.stderr).contains("unknown outcome"));
}

#[test]
fn the_transition_trail_cannot_be_rewritten_even_with_sql() {
    let dir = tempfile::tempdir().unwrap();
    let (_config, _id) = ingested_demo(dir.path());
    let db = rusqlite::Connection::open(database(dir.path())).unwrap();
    let n: i64 = db
        .query_row("SELECT COUNT(*) FROM alert_transitions", [], |r| r.get(0))
        .unwrap();
    assert!(n > 0);
    let update = db.execute("UPDATE alert_transitions SET actor = 'someone else'", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = db.execute("DELETE FROM alert_transitions", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}
