//! The shipped configurations load, and mistakes in them are refused with a clear message.

mod common;

use burnwatch_core::Config;
use std::path::Path;

#[test]
fn the_deployment_example_and_the_demo_config_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = Config::load(&root.join("scripts/deploy/burnwatch.example.toml")).unwrap();
    assert_eq!(example.firms.as_ref().unwrap().products.len(), 4);
    assert_eq!(example.cameras.len(), 2);
    // The PTZ camera's lens table gives its field of view at any zoom it reports.
    let (hfov, _) = example.cameras[1].zoom_fov.fov_at(10.0).unwrap();
    assert!((hfov - 6.3).abs() < 1e-9);
    let (wider, _) = example.cameras[1].zoom_fov.fov_at(5.0).unwrap();
    assert!(wider > 6.3 && wider < 58.3);
    assert_eq!(example.notify.channels.len(), 4);
    let email = &example.notify.channels[3];
    assert_eq!(
        email.kind,
        burnwatch_core::notify_config::ChannelKind::Email
    );
    assert_eq!(email.to.len(), 2);
    assert_eq!(example.notify.escalation.len(), 2);
    // One definition of deadlines and seasons, read by the notifier and the statistics alike.
    let summer = example.seasons.named("三夏", Some(2026)).unwrap();
    assert_eq!(summer.deadlines.received_minutes, Some(15.0));
    let in_summer = example
        .schedule()
        .deadlines_on(chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
    assert_eq!(
        (in_summer.received_minutes, in_summer.on_scene_minutes),
        (15.0, 45.0)
    );
    assert_eq!(
        in_summer.verified_minutes, None,
        "by the end of the local day"
    );
    assert_eq!(
        example.regions.townships.as_ref().unwrap().crs,
        burnwatch_core::coords::InputCrs::Cgcs2000
    );
    let demo = Config::load(&root.join("samples/burnwatch.toml")).unwrap();
    assert!(demo.regions.townships.is_some());
    assert!(demo.inbox.dir.ends_with("var/inbox"));
    assert_eq!(demo.seasons.iter().count(), 2);
    assert_eq!(demo.deadlines.on_scene_minutes, 60.0);
}

#[test]
fn config_mistakes_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    for (text, expect) in [
        ("[firms]\nproducts = []\n", "firms.products is empty"),
        ("[firms]\nproducts = [\"MODIS_NRT\"]\nday_range = 9\n", "day_range"),
        ("[inbox]\ndirectory = \"x\"\n", "directory"),
        ("[[notify.routes]]\nregion = \"*\"\nchannels = [\"nowhere\"]\n", "unknown channel"),
        // The deadlines and seasons have one home each: the top-level sections.
        ("[notify.deadlines]\nreceived_minutes = 15\n", "deadlines"),
        ("[[reports.seasons]]\nname = \"三夏\"\nstart = 2025-05-20\nend = 2025-07-31\n", "seasons"),
        ("[[filter.seasons]]\nname = \"三夏\"\nstart = \"05-20\"\nend = \"06-30\"\n", "seasons"),
        ("[deadlines]\nverified_minutes = 0\n", "positive"),
        (
            "[[notify.escalation]]\nafter_minutes = 60\nto = \"county\"\n[[notify.escalation]]\nafter_minutes = 30\nto = \"prefecture\"\n",
            "level 2",
        ),
        (
            "[[notify.channels]]\nid = \"m\"\nkind = \"email\"\nhost = \"smtp.example.cn\"\nfrom = \"a@example.cn\"\n",
            "needs host, from and to",
        ),
        (
            "[[cameras]]\nid = \"a\"\nname = \"a\"\nlon = 116.0\nlat = 35.0\nheight_m = 30\nkind = \"thermal\"\nsnapshot_url = \"http://127.0.0.1:1/\"\n",
            "needs a preset or a pose_url",
        ),
    ] {
        let p = dir.path().join("c.toml");
        std::fs::write(&p, text).unwrap();
        let err = Config::load(&p).unwrap_err().to_string();
        assert!(err.contains(expect), "{text:?} → {err}");
    }
}
