//! route_csv keeps every row and field, appends the owner, and counts what it could not place.

use burnwatch_region::{route_csv, Level, Region, RegionError, RegionIndex, RouteStats};
use geo::{LineString, MultiPolygon, Polygon};

fn index() -> RegionIndex {
    let square = |id: &str, name: &str, x0: f64| Region {
        id: id.into(),
        name: name.into(),
        level: Level::Township,
        parent_id: None,
        geometry: MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                (x0, 35.0),
                (x0 + 0.1, 35.0),
                (x0 + 0.1, 35.1),
                (x0, 35.1),
                (x0, 35.0),
            ]),
            vec![],
        )]),
    };
    RegionIndex::new(vec![
        square("370811002", "许庄街道", 116.0),
        square("370811005", "李营, \"东\"", 116.1),
    ])
}

fn route(input: &str) -> (Result<RouteStats, RegionError>, Vec<Vec<String>>) {
    let mut out = Vec::new();
    let stats = route_csv(input.as_bytes(), &mut out, &index());
    let rows = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(out.as_slice())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (stats, rows)
}

#[test]
fn lon_lat_header_any_case_with_extra_quoted_columns() {
    let input = "id,LON,Lat,note\n\
                 1,116.05,35.05,\"hello, world\"\n\
                 2, 116.15 ,35.05,\"say \"\"hi\"\"\"\n\
                 3,120,40,far away\n\
                 4,abc,35.0,bad lon\n\
                 5,,35.0,empty lon\n\
                 6,116.05,95,lat off the globe\n";
    let (stats, rows) = route(input);
    assert_eq!(
        stats.unwrap(),
        RouteStats {
            rows: 6,
            inside: 2,
            outside: 1,
            unparsable: 3
        }
    );
    assert_eq!(
        rows[0],
        ["id", "LON", "Lat", "note", "region_id", "region_name"]
    );
    assert_eq!(
        rows[1],
        [
            "1",
            "116.05",
            "35.05",
            "hello, world",
            "370811002",
            "许庄街道"
        ]
    );
    assert_eq!(
        rows[2],
        [
            "2",
            " 116.15 ",
            "35.05",
            "say \"hi\"",
            "370811005",
            "李营, \"东\""
        ]
    );
    assert_eq!(rows[3], ["3", "120", "40", "far away", "", ""]);
    assert_eq!(rows[4], ["4", "abc", "35.0", "bad lon", "", ""]);
    assert_eq!(rows[5][4..], ["", ""]);
    assert_eq!(rows[6][4..], ["", ""]);
    assert_eq!(rows.len(), 7, "every row is written");
}

#[test]
fn longitude_latitude_header_firms_style() {
    let input = "latitude,longitude,brightness,acq_date\n35.05,116.05,330.2,2025-11-18\n35.05,116.15,301.0,2025-11-18\n";
    let (stats, rows) = route(input);
    assert_eq!(
        stats.unwrap(),
        RouteStats {
            rows: 2,
            inside: 2,
            outside: 0,
            unparsable: 0
        }
    );
    assert_eq!(
        rows[1],
        [
            "35.05",
            "116.05",
            "330.2",
            "2025-11-18",
            "370811002",
            "许庄街道"
        ]
    );
    assert_eq!(rows[2][4], "370811005");
}

#[test]
fn non_utf8_fields_pass_through_unchanged() {
    // "济宁" in GBK, as older Chinese exports write it.
    let mut input = b"lon,lat,name\n116.05,35.05,".to_vec();
    input.extend_from_slice(&[0xbc, 0xc3, 0xc4, 0xfe]);
    input.push(b'\n');
    let mut out = Vec::new();
    let stats = route_csv(input.as_slice(), &mut out, &index()).unwrap();
    assert_eq!(stats.inside, 1);
    let line = out.split(|&b| b == b'\n').nth(1).unwrap();
    let mut want = b"116.05,35.05,".to_vec();
    want.extend_from_slice(&[0xbc, 0xc3, 0xc4, 0xfe]);
    want.extend_from_slice(",370811002,许庄街道".as_bytes());
    assert_eq!(line, want.as_slice());
}

#[test]
fn missing_coordinate_columns_is_an_error() {
    for header in ["x,y\n1,2\n", "lon,latitude\n1,2\n", "longitude,lat_\n1,2\n"] {
        let (stats, _) = route(header);
        let err = stats.unwrap_err();
        assert!(matches!(err, RegionError::MissingLonLat { .. }), "{err}");
        assert!(
            err.to_string().contains(header.lines().next().unwrap()),
            "{err}"
        );
    }
}

#[test]
fn empty_input_with_header_only() {
    let (stats, rows) = route("lon,lat\n");
    assert_eq!(stats.unwrap(), RouteStats::default());
    assert_eq!(rows, [["lon", "lat", "region_id", "region_name"]]);
}
