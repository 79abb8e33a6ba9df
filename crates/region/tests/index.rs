//! The fast grid path must give exactly the reference answer, everywhere, including on vertices,
//! edges and grid-cell lines.

use burnwatch_core::geodesy::haversine_km;
use burnwatch_region::synthetic::{random_points, tessellation, TessellationSpec};
use burnwatch_region::{Level, Region, RegionIndex};
use geo::{LineString, MultiPolygon, Polygon};

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
    Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    )
}

fn region(id: &str, polygons: Vec<Polygon<f64>>) -> Region {
    Region {
        id: id.to_owned(),
        name: id.to_owned(),
        level: Level::Township,
        parent_id: None,
        geometry: MultiPolygon(polygons),
    }
}

/// The `n` floats either side of `v`, and `v`.
fn around(v: f64, n: i64) -> impl Iterator<Item = f64> {
    (-n..=n).map(move |k| {
        let bits = v.to_bits() as i64;
        // Positive floats: adjacent bit patterns are adjacent values.
        assert!(v > 0.0);
        f64::from_bits((bits + k) as u64)
    })
}

fn assert_same(index: &RegionIndex, points: impl IntoIterator<Item = (f64, f64)>) -> usize {
    let mut n = 0;
    let mut bad = Vec::new();
    for (x, y) in points {
        n += 1;
        let (fast, exact) = (index.locate(x, y), index.locate_exact(x, y));
        if fast != exact && bad.len() < 10 {
            bad.push((x, y, fast, exact));
        }
    }
    assert!(bad.is_empty(), "locate != locate_exact at {bad:?}");
    n
}

fn edge_points(index: &RegionIndex) -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    for r in index.regions() {
        for p in &r.geometry.0 {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                for l in ring.lines() {
                    pts.push((l.start.x, l.start.y));
                    pts.push(((l.start.x + l.end.x) / 2.0, (l.start.y + l.end.y) / 2.0));
                    let t = 0.3;
                    pts.push((
                        l.start.x + t * (l.end.x - l.start.x),
                        l.start.y + t * (l.end.y - l.start.y),
                    ));
                }
            }
        }
    }
    pts
}

/// Points on and next to the grid's cell lines, crossed with a spread of the other coordinate.
fn cell_line_points(index: &RegionIndex, seed: u64) -> Vec<(f64, f64)> {
    let s = index.stats();
    let [x0, y0, x1, y1] = s.extent;
    let others = random_points(60, s.extent, 0.0, seed);
    let mut pts = Vec::new();
    for k in 0..=s.grid_cols {
        let x = x0 + k as f64 * s.cell_width_deg;
        for x in around(x, 2) {
            pts.extend(others.iter().map(|&(_, y)| (x, y)));
        }
    }
    for k in 0..=s.grid_rows {
        let y = y0 + k as f64 * s.cell_height_deg;
        for y in around(y, 2) {
            pts.extend(others.iter().map(|&(x, _)| (x, y)));
        }
    }
    // Corners of the extent and beyond it.
    for x in around(x0, 2).chain(around(x1, 2)) {
        for y in around(y0, 2).chain(around(y1, 2)) {
            pts.push((x, y));
        }
    }
    pts
}

#[test]
fn grid_agrees_with_exact_on_random_and_degenerate_points() {
    for seed in [1_u64, 2, 3] {
        let regions = tessellation(&TessellationSpec::small(seed));
        assert!(
            regions.iter().any(|r| r.geometry.0.len() == 2),
            "has MultiPolygons"
        );
        assert!(
            regions
                .iter()
                .any(|r| !r.geometry.0[0].interiors().is_empty()),
            "has holes"
        );
        let index = RegionIndex::new(regions);
        let stats = index.stats();
        assert_eq!(stats.exact_cells, 0);
        let random = random_points(200_000, stats.extent, 0.05, seed);
        let inside = random
            .iter()
            .filter(|&&(x, y)| index.locate(x, y).is_some())
            .count();
        assert!(inside > 150_000, "{inside}");
        assert_same(&index, random);
        let n = assert_same(&index, edge_points(&index));
        let m = assert_same(&index, cell_line_points(&index, seed));
        assert!(n > 10_000 && m > 10_000, "{n} {m}");
    }
}

#[test]
fn grid_agrees_when_regions_overlap() {
    // Overlapping layers (a county listed with its townships, or sloppy data): a region can cover
    // a whole grid cell that other regions' edges cross, and the lowest index must still win.
    for seed in [4_u64, 5] {
        let cells = tessellation(&TessellationSpec::small(seed));
        let big = |id: &str, x0: f64, y0: f64| region(id, vec![square(x0, y0, x0 + 0.5, y0 + 0.4)]);
        let mut regions = vec![big("first", 116.2, 35.2)];
        regions.extend(cells);
        regions.push(big("last", 116.6, 35.5));
        let index = RegionIndex::new(regions);
        let s = index.stats();
        assert_same(&index, random_points(200_000, s.extent, 0.05, seed));
        assert_same(&index, edge_points(&index));
        assert_same(&index, cell_line_points(&index, seed));
        assert_eq!(index.locate(116.45, 35.4), Some(0));
    }
}

#[test]
fn grid_agrees_on_the_benchmark_layer() {
    let index = RegionIndex::new(tessellation(&TessellationSpec::benchmark()));
    let s = index.stats();
    assert!(s.regions > 2_900, "{s:?}");
    assert_same(&index, random_points(200_000, s.extent, 0.1, 7));
    assert_same(&index, edge_points(&index).into_iter().step_by(7));
}

#[test]
fn shared_edges_and_vertices_go_to_the_lower_index() {
    // Exact binary fractions, so points are exactly on the edges.
    let mut regions = Vec::new();
    for j in 0..8 {
        for i in 0..8 {
            let (x, y) = (116.0 + i as f64 * 0.125, 35.0 + j as f64 * 0.125);
            regions.push(region(
                &format!("{i}-{j}"),
                vec![square(x, y, x + 0.125, y + 0.125)],
            ));
        }
    }
    let index = RegionIndex::new(regions);
    // On the vertical edge between column 2 and 3 of row 4: both contain it, index 4*8+2 wins.
    assert_eq!(index.locate(116.375, 35.5 + 0.0625), Some(4 * 8 + 2));
    // A vertex shared by four squares: the lowest index of the four.
    assert_eq!(index.locate(116.25, 35.25), Some(8 + 1));
    // The outer border is inside, a hair beyond is not.
    assert_eq!(index.locate(116.0, 35.0), Some(0));
    assert_eq!(index.locate(116.0_f64.next_down(), 35.0), None);
    assert_eq!(index.locate(f64::NAN, 35.0), None);
    assert_eq!(index.locate(f64::INFINITY, 35.0), None);
    let mut pts = Vec::new();
    for k in 0..=64 {
        for m in 0..=64 {
            pts.push((116.0 + k as f64 / 64.0, 35.0 + m as f64 / 64.0));
        }
    }
    assert_same(&index, pts);
    assert_same(&index, cell_line_points(&index, 9));
}

#[test]
fn hole_is_outside_and_enclave_fills_it() {
    let mut outer = square(116.0, 35.0, 116.4, 35.4);
    outer.interiors_push(vec![
        (116.1, 35.1),
        (116.2, 35.1),
        (116.2, 35.2),
        (116.1, 35.2),
        (116.1, 35.1),
    ]);
    let only_outer = RegionIndex::new(vec![region("outer", vec![outer.clone()])]);
    assert_eq!(only_outer.locate(116.15, 35.15), None);
    assert_eq!(only_outer.locate(116.05, 35.05), Some(0));
    assert_eq!(
        only_outer.locate(116.1, 35.15),
        Some(0),
        "hole border belongs to the polygon"
    );
    let with_enclave = RegionIndex::new(vec![
        region("outer", vec![outer]),
        region(
            "enclave",
            vec![
                square(116.1, 35.1, 116.2, 35.2),
                square(117.0, 35.0, 117.1, 35.1),
            ],
        ),
    ]);
    assert_eq!(with_enclave.locate(116.15, 35.15), Some(1));
    assert_eq!(with_enclave.locate(117.05, 35.05), Some(1));
    assert_eq!(with_enclave.locate(116.7, 35.05), None, "between the parts");
}

#[test]
fn empty_index_locates_nothing() {
    let index = RegionIndex::new(Vec::new());
    assert!(index.is_empty());
    assert_eq!(index.locate(116.0, 35.0), None);
    assert_eq!(index.locate_exact(116.0, 35.0), None);
    assert!(index.neighbours_within(116.0, 35.0, 1.0, None).is_empty());
}

#[test]
fn neighbour_at_300_m_is_seen_at_500_m_not_at_200_m() {
    let index = RegionIndex::new(vec![
        region("west", vec![square(116.0, 35.0, 116.1, 35.1)]),
        region("east", vec![square(116.1, 35.0, 116.2, 35.1)]),
        region("far", vec![square(116.3, 35.0, 116.4, 35.1)]),
    ]);
    let lat: f64 = 35.05;
    // 300 m west of the shared border, by the same spherical model as haversine_km.
    let dlon =
        (0.3 / burnwatch_core::geodesy::EARTH_RADIUS_KM).to_degrees() / lat.to_radians().cos();
    let lon = 116.1 - dlon;
    let owner = index.locate(lon, lat);
    assert_eq!(owner, Some(0));
    assert_eq!(index.neighbours_within(lon, lat, 0.5, owner), vec![1]);
    assert!(index.neighbours_within(lon, lat, 0.2, owner).is_empty());
    let d = index.distance_km(1, lon, lat);
    let by_hand = haversine_km(lon, lat, 116.1, lat);
    assert!((d - by_hand).abs() < 0.002, "{d} vs {by_hand}");
    assert!((d - 0.3).abs() < 0.003, "{d}");
    // Without an owner, the own region comes first at distance 0.
    let all = index.neighbours_with_distance(lon, lat, 0.5, None);
    assert_eq!(all.iter().map(|p| p.0).collect::<Vec<_>>(), vec![0, 1]);
    assert_eq!(all[0].1, 0.0);
    // A diagonal distance to a corner, checked against the great circle.
    let (plon, plat) = (116.2 + 0.004, 35.1 + 0.003);
    let d = index.distance_km(1, plon, plat);
    let by_hand = haversine_km(plon, plat, 116.2, 35.1);
    assert!((d - by_hand).abs() < 0.002, "{d} vs {by_hand}");
}

#[test]
fn stats_report_the_grid() {
    let index = RegionIndex::new(tessellation(&TessellationSpec::small(5)));
    let s = index.stats();
    assert_eq!(s.regions, index.len());
    assert!(s.grid_cols * s.grid_rows >= 4096);
    assert!(s.boundary_cells > 0 && s.boundary_cells < s.grid_cols * s.grid_rows);
    assert!(s.total_bytes > s.grid_bytes);
    assert_eq!(s.exact_cells, 0);
    assert!(
        s.extent[0] >= 115.8 && s.extent[2] <= 117.4,
        "{:?}",
        s.extent
    );
}
