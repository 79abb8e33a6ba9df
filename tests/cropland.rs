//! `burnwatch cropland`: township cropland measured from a mask raster (written here as an ESRI
//! ASCII grid, which GDAL reads), checked against the exact area of each township polygon
//! clipped by hand, then used by the statistics where the configuration gives no figure.

mod common;

use common::*;
use geo::{BooleanOps, BoundingRect, ChamberlainDuquetteArea, MultiPolygon, Rect};
use std::fmt::Write as _;
use std::path::Path;

const CELL_DEG: f64 = 0.0005;

/// A lon/lat mask over `bounds`: cropland (1) west of `cut`, other land (0) east of it.
fn write_mask(path: &Path, bounds: Rect<f64>, cut: f64) {
    let (w, s) = (bounds.min().x - 0.01, bounds.min().y - 0.01);
    let cols = ((bounds.max().x + 0.01 - w) / CELL_DEG).ceil() as usize;
    let rows = ((bounds.max().y + 0.01 - s) / CELL_DEG).ceil() as usize;
    let mut text = format!(
        "ncols {cols}\nnrows {rows}\nxllcorner {w}\nyllcorner {s}\ncellsize {CELL_DEG}\nNODATA_value -9999\n"
    );
    for _ in 0..rows {
        for c in 0..cols {
            let lon = w + (c as f64 + 0.5) * CELL_DEG;
            text.push_str(if lon < cut { "1 " } else { "0 " });
        }
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
    std::fs::write(
        path.with_extension("prj"),
        r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]]"#,
    )
    .unwrap();
}

fn townships(dir: &Path) -> Vec<(String, MultiPolygon<f64>)> {
    let text = std::fs::read_to_string(dir.join("samples/regions/townships.geojson")).unwrap();
    let fc: geojson::FeatureCollection = text.parse().unwrap();
    fc.features
        .into_iter()
        .map(|f| {
            let id = f.property("code").unwrap().as_str().unwrap().to_owned();
            let g: geo::Geometry<f64> = f.geometry.unwrap().try_into().unwrap();
            let mp = match g {
                geo::Geometry::MultiPolygon(mp) => mp,
                geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
                other => panic!("{other:?}"),
            };
            (id, mp)
        })
        .collect()
}

#[test]
fn township_cropland_is_measured_from_the_mask_and_used_by_the_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _) = ingested_samples(dir.path());
    let towns = townships(dir.path());
    let mut all = towns[0].1.bounding_rect().unwrap();
    for (_, g) in &towns {
        let b = g.bounding_rect().unwrap();
        all = Rect::new(
            geo::coord! { x: all.min().x.min(b.min().x), y: all.min().y.min(b.min().y) },
            geo::coord! { x: all.max().x.max(b.max().x), y: all.max().y.max(b.max().y) },
        );
    }
    let cut = (all.min().x + all.max().x) / 2.0;
    let mask = dir.path().join("cropland.asc");
    write_mask(&mask, all, cut);
    let mut text = std::fs::read_to_string(&config).unwrap();
    writeln!(
        text,
        "\n[filter.cropland]\npath = {:?}",
        mask.display().to_string()
    )
    .unwrap();
    std::fs::write(&config, text).unwrap();

    let out = ok(burnwatch(&config, &["cropland"]));
    assert!(
        out.contains(&format!("{} townships measured", towns.len())),
        "{out}"
    );

    let db = database(dir.path());
    let conn = rusqlite::Connection::open(&db).unwrap();
    let west = Rect::new(
        geo::coord! { x: all.min().x - 1.0, y: all.min().y - 1.0 },
        geo::coord! { x: cut, y: all.max().y + 1.0 },
    )
    .to_polygon();
    let mut some_split = false;
    for (id, shape) in &towns {
        let (crop, mapped): (f64, f64) = conn
            .query_row(
                "SELECT cropland_ha, mapped_ha FROM region_cropland WHERE region_id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let area = shape.chamberlain_duquette_unsigned_area() / 1e4;
        let want = shape
            .intersection(&MultiPolygon(vec![west.clone()]))
            .chamberlain_duquette_unsigned_area()
            / 1e4;
        // Pixels of ~0.2 ha along ~30 km of border: well within 2 % of a township.
        let tolerance = 0.02 * area;
        assert!(
            (mapped - area).abs() < tolerance,
            "{id}: mapped {mapped} vs {area} ha"
        );
        assert!(
            (crop - want).abs() < tolerance,
            "{id}: cropland {crop} vs {want} ha"
        );
        some_split |= want > 0.1 * area && want < 0.9 * area;
    }
    assert!(some_split, "the cut crosses some township");

    // The statistics use the measured figure for a township the configuration leaves out.
    let report: serde_json::Value = serde_json::from_str(&ok(burnwatch(
        &config,
        &[
            "stats", "--season", "三夏", "--year", "2025", "--by", "township", "--format", "json",
        ],
    )))
    .unwrap();
    let row = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["detections"]["points"].as_u64().unwrap_or(0) > 0)
        .expect("a township with fire points");
    let id = row["region_id"].as_str().unwrap();
    let measured: f64 = conn
        .query_row(
            "SELECT cropland_ha FROM region_cropland WHERE region_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        (row["cropland_ha"].as_f64().unwrap() - measured).abs() < 1e-6,
        "{row}"
    );
    if measured > 0.0 {
        let points = row["detections"]["points"].as_f64().unwrap();
        let per = row["points_per_1000_ha"].as_f64().unwrap();
        assert!((per - points / (measured / 1000.0)).abs() < 1e-9, "{row}");
    }

    // A second measurement replaces the first; a config without a mask is told what to set.
    ok(burnwatch(&config, &["cropland"]));
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM region_cropland", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n as usize, towns.len());
    let plain = samples(&dir.path().join("plain"));
    let refused = burnwatch(&plain, &["cropland"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("[filter.cropland]"));
}
