//! The shipped configurations load, and mistakes in them are refused with a clear message.

mod common;

use burnwatch_core::Config;
use std::path::Path;

#[test]
fn the_deployment_example_and_the_demo_config_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = Config::load(&root.join("scripts/deploy/burnwatch.example.toml")).unwrap();
    assert_eq!(example.firms.as_ref().unwrap().products.len(), 4);
    assert_eq!(example.cameras.len(), 1);
    assert_eq!(example.notify.channels.len(), 3);
    assert_eq!(example.notify.seasons[0].deadlines.received_minutes, 15.0);
    assert_eq!(
        example.regions.townships.as_ref().unwrap().crs,
        burnwatch_core::coords::InputCrs::Cgcs2000
    );
    let demo = Config::load(&root.join("samples/burnwatch.toml")).unwrap();
    assert!(demo.regions.townships.is_some());
    assert!(demo.inbox.dir.ends_with("var/inbox"));
}

#[test]
fn config_mistakes_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    for (text, expect) in [
        ("[firms]\nproducts = []\n", "firms.products is empty"),
        ("[firms]\nproducts = [\"MODIS_NRT\"]\nday_range = 9\n", "day_range"),
        ("[inbox]\ndirectory = \"x\"\n", "directory"),
        ("[[notify.routes]]\nregion = \"*\"\nchannels = [\"nowhere\"]\n", "unknown channel"),
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
