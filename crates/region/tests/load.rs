//! Loading polygon layers through OGR: GeoJSON written here, a GeoPackage and a projected
//! Shapefile written with the gdal crate, and the errors bad input must give.

use burnwatch_core::config::LayerConfig;
use burnwatch_core::coords::InputCrs;
use burnwatch_region::{link_parents, load_layer, Level, RegionError, RegionIndex};
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{
    Feature, Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType,
};
use gdal::DriverManager;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn cfg(path: &Path, id: &str) -> LayerConfig {
    LayerConfig {
        path: path.to_owned(),
        layer: None,
        id_field: id.to_owned(),
        name_field: None,
        parent_field: None,
        crs: InputCrs::Wgs84,
    }
}

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Value {
    json!([[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]])
}

fn write_geojson(dir: &Path, name: &str, features: Vec<Value>) -> PathBuf {
    let path = dir.join(name);
    let fc = json!({ "type": "FeatureCollection", "features": features });
    std::fs::write(&path, serde_json::to_string_pretty(&fc).unwrap()).unwrap();
    path
}

fn feature(props: Value, geometry: Value) -> Value {
    json!({ "type": "Feature", "properties": props, "geometry": geometry })
}

/// A square with a hole, a MultiPolygon, and two squares sharing an edge, near Jining.
fn hand_made(dir: &Path) -> PathBuf {
    write_geojson(
        dir,
        "hand.geojson",
        vec![
            feature(
                json!({"code": "A", "adcode": 370811.0, "name": "Alpha", "county": "C1"}),
                json!({"type": "Polygon", "coordinates": [
                    square(116.0, 35.0, 116.4, 35.4), square(116.1, 35.1, 116.2, 35.2)]}),
            ),
            feature(
                json!({"code": "B", "adcode": 370812, "county": 370800}),
                json!({"type": "MultiPolygon", "coordinates": [
                    [square(117.0, 35.0, 117.1, 35.1)], [square(117.2, 35.0, 117.3, 35.1)]]}),
            ),
            feature(
                json!({"code": "1", "adcode": 1, "name": "West", "county": null}),
                json!({"type": "Polygon", "coordinates": [square(116.5, 35.0, 116.6, 35.1)]}),
            ),
            feature(
                json!({"code": "2", "adcode": 2.0, "name": "East", "county": ""}),
                json!({"type": "Polygon", "coordinates": [square(116.6, 35.0, 116.7, 35.1)]}),
            ),
        ],
    )
}

#[test]
fn geojson_layer_loads_with_fields_holes_and_multipolygons() {
    let dir = tempfile::tempdir().unwrap();
    let path = hand_made(dir.path());
    let mut c = cfg(&path, "code");
    c.name_field = Some("name".into());
    c.parent_field = Some("county".into());
    let regions = load_layer(&c, Level::Township).unwrap();
    let ids: Vec<&str> = regions.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["A", "B", "1", "2"]);
    assert_eq!(regions[0].name, "Alpha");
    assert_eq!(regions[1].name, "B", "name defaults to the id");
    assert_eq!(regions[0].parent_id.as_deref(), Some("C1"));
    assert_eq!(regions[1].parent_id.as_deref(), Some("370800"));
    assert_eq!(regions[2].parent_id, None);
    assert_eq!(regions[3].parent_id, None, "empty parent is no parent");
    assert_eq!(regions[0].level, Level::Township);
    assert_eq!(regions[0].geometry.0[0].interiors().len(), 1);
    assert_eq!(regions[1].geometry.0.len(), 2);
    // A Real column (370811.0, 370812, 1, 2.0) gives integer-looking ids.
    let by_adcode = load_layer(&cfg(&path, "adcode"), Level::Township).unwrap();
    let ids: Vec<&str> = by_adcode.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["370811", "370812", "1", "2"]);
    // x is lon, y is lat.
    let first = regions[0].geometry.0[0].exterior().0[0];
    assert_eq!((first.x, first.y), (116.0, 35.0));

    let index = RegionIndex::new(regions);
    assert_eq!(index.locate(116.05, 35.05), Some(0));
    assert_eq!(index.locate(116.15, 35.15), None, "in the hole");
    assert_eq!(index.locate(117.25, 35.05), Some(1), "second part");
    assert_eq!(
        index.locate(116.6, 35.05),
        Some(2),
        "shared edge: first listed"
    );
    assert_eq!(index.locate(116.65, 35.05), Some(3));
    assert_eq!(index.get(3).name, "East");
}

#[test]
fn gcj02_layer_is_converted_vertex_by_vertex() {
    let dir = tempfile::tempdir().unwrap();
    let path = hand_made(dir.path());
    let mut c = cfg(&path, "code");
    c.crs = InputCrs::Gcj02;
    let regions = load_layer(&c, Level::County).unwrap();
    let got = regions[0].geometry.0[0].exterior().0[0];
    let (lon, lat) = InputCrs::Gcj02.to_wgs84(116.0, 35.0);
    assert_eq!((got.x, got.y), (lon, lat));
    assert!(
        got.x < 116.0 - 0.003,
        "GCJ-02 lies east, so WGS84 is west: {got:?}"
    );
}

#[test]
fn bad_input_gives_errors_naming_file_and_feature() {
    let dir = tempfile::tempdir().unwrap();
    let path = hand_made(dir.path());
    let file = path.display().to_string();

    let err = load_layer(&cfg(&path, "district_adcode"), Level::County).unwrap_err();
    assert!(matches!(err, RegionError::MissingField { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&file) && msg.contains("district_adcode") && msg.contains("county"),
        "{msg}"
    );

    let mut c = cfg(&path, "code");
    c.name_field = Some("nom".into());
    assert!(matches!(
        load_layer(&c, Level::County),
        Err(RegionError::MissingField { .. })
    ));

    // Empty id.
    let p = write_geojson(
        dir.path(),
        "empty_id.geojson",
        vec![
            feature(
                json!({"code": "X"}),
                json!({"type": "Polygon", "coordinates": [square(1.0, 1.0, 2.0, 2.0)]}),
            ),
            feature(
                json!({"code": " "}),
                json!({"type": "Polygon", "coordinates": [square(1.0, 1.0, 2.0, 2.0)]}),
            ),
        ],
    );
    let msg = load_layer(&cfg(&p, "code"), Level::County)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("empty_id.geojson") && msg.contains("feature 1") && msg.contains("empty id"),
        "{msg}"
    );

    // A line is not a region.
    let p = write_geojson(
        dir.path(),
        "line.geojson",
        vec![feature(
            json!({"code": "L1"}),
            json!({"type": "LineString", "coordinates": [[1.0, 1.0], [2.0, 2.0]]}),
        )],
    );
    let msg = load_layer(&cfg(&p, "code"), Level::County)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("line.geojson") && msg.contains("L1") && msg.contains("Line String"),
        "{msg}"
    );

    // No geometry.
    let p = write_geojson(
        dir.path(),
        "null.geojson",
        vec![feature(json!({"code": "N"}), Value::Null)],
    );
    let msg = load_layer(&cfg(&p, "code"), Level::County)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("(id N)") && msg.contains("no geometry"),
        "{msg}"
    );

    // Coordinates that are not lon/lat (a projected file without a declared CRS).
    let p = write_geojson(
        dir.path(),
        "metres.geojson",
        vec![feature(
            json!({"code": "M"}),
            json!({"type": "Polygon", "coordinates": [square(500000.0, 3900000.0, 501000.0, 3901000.0)]}),
        )],
    );
    let msg = load_layer(&cfg(&p, "code"), Level::County)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("(id M)") && msg.contains("500000"), "{msg}");

    // Missing file, missing layer.
    let err = load_layer(&cfg(&dir.path().join("nope.gpkg"), "code"), Level::County).unwrap_err();
    assert!(matches!(err, RegionError::Open { .. }), "{err}");
    let mut c = cfg(&path, "code");
    c.layer = Some("nope".into());
    assert!(matches!(
        load_layer(&c, Level::County),
        Err(RegionError::NoLayer { .. })
    ));
}

fn wgs84() -> SpatialRef {
    let mut srs = SpatialRef::from_epsg(4326).unwrap();
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    srs
}

#[test]
fn geopackage_written_with_gdal_loads_by_layer_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("towns.gpkg");
    {
        let driver = DriverManager::get_driver_by_name("GPKG").unwrap();
        let mut ds = driver.create_vector_only(&path).unwrap();
        // An empty layer beside the real one.
        let other = ds
            .create_layer(LayerOptions {
                name: "other",
                ..Default::default()
            })
            .unwrap();
        other
            .create_defn_fields(&[("code9", OGRFieldType::OFTString)])
            .unwrap();
        let srs = wgs84();
        let layer = ds
            .create_layer(LayerOptions {
                name: "townships",
                srs: Some(&srs),
                ty: OGRwkbGeometryType::wkbMultiPolygon,
                options: None,
            })
            .unwrap();
        layer
            .create_defn_fields(&[
                ("code9", OGRFieldType::OFTInteger64),
                ("name", OGRFieldType::OFTString),
                ("share", OGRFieldType::OFTReal),
            ])
            .unwrap();
        let rows = [
            (
                370811002_i64,
                "许庄街道",
                "MULTIPOLYGON(((116.5 35.3,116.6 35.3,116.6 35.4,116.5 35.4,116.5 35.3)))",
            ),
            (
                370811005,
                "李营街道",
                "MULTIPOLYGON(((116.6 35.3,116.7 35.3,116.7 35.4,116.6 35.4,116.6 35.3)))",
            ),
        ];
        for (code, name, wkt) in rows {
            let mut f = Feature::new(layer.defn()).unwrap();
            f.set_field_integer64(0, code).unwrap();
            f.set_field_string(1, name).unwrap();
            f.set_field_double(2, 0.5).unwrap();
            f.set_geometry(Geometry::from_wkt(wkt).unwrap()).unwrap();
            f.create(&layer).unwrap();
        }
    }
    let mut c = cfg(&path, "code9");
    c.layer = Some("other".into());
    let err = load_layer(&c, Level::Township).unwrap_err();
    assert!(matches!(err, RegionError::EmptyLayer { .. }), "{err}");
    c.layer = Some("townships".into());
    c.name_field = Some("name".into());
    c.parent_field = Some("share".into());
    let regions = load_layer(&c, Level::Township).unwrap();
    assert_eq!(regions.len(), 2);
    assert_eq!(regions[0].id, "370811002");
    assert_eq!(regions[1].name, "李营街道");
    assert_eq!(regions[0].parent_id.as_deref(), Some("0.5"));
    let p = regions[0].geometry.0[0].exterior().0[1];
    assert!(
        (p.x - 116.6).abs() < 1e-9 && (p.y - 35.3).abs() < 1e-9,
        "lon/lat order: {p:?}"
    );
    let index = RegionIndex::new(regions);
    assert_eq!(index.locate(116.55, 35.35), Some(0));
    assert_eq!(index.locate(116.65, 35.35), Some(1));
}

#[test]
fn projected_shapefile_is_transformed_to_lon_lat() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("counties.shp");
    // CGCS2000 / 3-degree Gauss-Kruger CM 117E: how Chinese bureaus often ship boundaries.
    let mut gk = SpatialRef::from_epsg(4547).unwrap();
    gk.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let to_gk = CoordTransform::new(&wgs84(), &gk).unwrap();
    let lonlat = [
        (116.9, 35.6),
        (117.0, 35.6),
        (117.0, 35.7),
        (116.9, 35.7),
        (116.9, 35.6),
    ];
    {
        let driver = DriverManager::get_driver_by_name("ESRI Shapefile").unwrap();
        let mut ds = driver.create_vector_only(&path).unwrap();
        let layer = ds
            .create_layer(LayerOptions {
                name: "counties",
                srs: Some(&gk),
                ty: OGRwkbGeometryType::wkbPolygon,
                options: Some(&["ENCODING=UTF-8"]),
            })
            .unwrap();
        layer
            .create_defn_fields(&[
                ("adcode", OGRFieldType::OFTReal),
                ("name", OGRFieldType::OFTString),
            ])
            .unwrap();
        let mut ring = Geometry::empty(OGRwkbGeometryType::wkbLinearRing).unwrap();
        for (lon, lat) in lonlat {
            let (mut x, mut y, mut z) = ([lon], [lat], [0.0]);
            to_gk.transform_coords(&mut x, &mut y, &mut z).unwrap();
            assert!(
                x[0] > 400_000.0 && y[0] > 3_900_000.0,
                "easting/northing: {x:?} {y:?}"
            );
            ring.add_point_2d((x[0], y[0]));
        }
        let mut polygon = Geometry::empty(OGRwkbGeometryType::wkbPolygon).unwrap();
        polygon.add_geometry(ring).unwrap();
        let mut f = Feature::new(layer.defn()).unwrap();
        f.set_field_double(0, 370831.0).unwrap();
        f.set_field_string(1, "泗水县").unwrap();
        f.set_geometry(polygon).unwrap();
        f.create(&layer).unwrap();
    }
    let mut c = cfg(&path, "adcode");
    c.name_field = Some("name".into());
    let regions = load_layer(&c, Level::County).unwrap();
    assert_eq!(
        regions[0].id, "370831",
        "a Real field holding a code loses its .0"
    );
    assert_eq!(regions[0].name, "泗水县");
    // The Shapefile writer may reorder the ring (clockwise exterior); every corner must be back.
    let ring = &regions[0].geometry.0[0].exterior().0;
    for want in lonlat {
        assert!(
            ring.iter()
                .any(|got| (got.x - want.0).abs() < 1e-7 && (got.y - want.1).abs() < 1e-7),
            "{want:?} not in {ring:?}"
        );
    }
    let index = RegionIndex::new(regions);
    assert_eq!(index.locate(116.95, 35.65), Some(0));
}

#[test]
fn link_parents_fills_only_missing_parents() {
    let dir = tempfile::tempdir().unwrap();
    let parents_path = write_geojson(
        dir.path(),
        "parents.geojson",
        vec![
            feature(
                json!({"code": "P1"}),
                json!({"type": "Polygon", "coordinates": [square(116.0, 35.0, 117.0, 36.0)]}),
            ),
            feature(
                json!({"code": "P2"}),
                json!({"type": "Polygon", "coordinates": [square(117.0, 35.0, 118.0, 36.0)]}),
            ),
        ],
    );
    let children_path = write_geojson(
        dir.path(),
        "children.geojson",
        vec![
            feature(
                json!({"code": "a", "up": null}),
                json!({"type": "Polygon", "coordinates": [square(116.2, 35.2, 116.4, 35.4)]}),
            ),
            feature(
                json!({"code": "b", "up": null}),
                json!({"type": "Polygon", "coordinates": [square(117.2, 35.2, 117.4, 35.4)]}),
            ),
            feature(
                json!({"code": "c", "up": "KEEP"}),
                json!({"type": "Polygon", "coordinates": [square(117.2, 35.5, 117.4, 35.7)]}),
            ),
            feature(
                json!({"code": "d", "up": null}),
                json!({"type": "Polygon", "coordinates": [square(120.0, 35.0, 120.1, 35.1)]}),
            ),
        ],
    );
    let parents = load_layer(&cfg(&parents_path, "code"), Level::County).unwrap();
    let mut c = cfg(&children_path, "code");
    c.parent_field = Some("up".into());
    let mut children = load_layer(&c, Level::Township).unwrap();
    link_parents(&mut children, &parents);
    let got: Vec<Option<&str>> = children.iter().map(|c| c.parent_id.as_deref()).collect();
    assert_eq!(got, [Some("P1"), Some("P2"), Some("KEEP"), None]);
}
