//! Point-to-township routing throughput: the grid (`locate`) against the reference R-tree + exact
//! point-in-polygon search (`locate_exact`) on a province-sized synthetic township layer, plus
//! `route_csv` end to end. Run with `cargo bench --bench route`.

use burnwatch_region::synthetic::{random_points, tessellation, TessellationSpec};
use burnwatch_region::{route_csv, RegionIndex};
use std::hint::black_box;
use std::io::Write;
use std::time::Instant;

const POINTS: usize = 2_000_000;
const CSV_ROWS: usize = 1_000_000;

fn main() {
    let spec = TessellationSpec::benchmark();
    let t = Instant::now();
    let regions = tessellation(&spec);
    let gen_s = t.elapsed().as_secs_f64();
    let vertices: Vec<usize> = regions
        .iter()
        .map(|r| r.geometry.0.iter().map(|p| p.exterior().0.len() - 1).sum())
        .collect();
    println!(
        "layer: {} polygons, {}-{} vertices each (mean {:.0}), generated in {:.2} s",
        regions.len(),
        vertices.iter().min().unwrap_or(&0),
        vertices.iter().max().unwrap_or(&0),
        vertices.iter().sum::<usize>() as f64 / vertices.len().max(1) as f64,
        gen_s
    );

    let t = Instant::now();
    let index = RegionIndex::new(regions);
    let build_s = t.elapsed().as_secs_f64();
    let s = index.stats();
    let cells = s.grid_cols * s.grid_rows;
    println!(
        "index: built in {:.2} s; grid {}x{} cells of {:.4}°x{:.4}°, {} boundary ({:.1} %), \
         {} fallback; grid {:.1} MiB, index total ~{:.1} MiB",
        build_s,
        s.grid_cols,
        s.grid_rows,
        s.cell_width_deg,
        s.cell_height_deg,
        s.boundary_cells,
        100.0 * s.boundary_cells as f64 / cells as f64,
        s.exact_cells,
        s.grid_bytes as f64 / 1048576.0,
        s.total_bytes as f64 / 1048576.0
    );

    // Points over the layer and a margin around it, so some fall outside.
    let points = random_points(POINTS, s.extent, 0.2, 42);

    let t = Instant::now();
    let fast: Vec<Option<usize>> = points
        .iter()
        .map(|&(x, y)| black_box(index.locate(black_box(x), black_box(y))))
        .collect();
    let fast_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let exact: Vec<Option<usize>> = points
        .iter()
        .map(|&(x, y)| black_box(index.locate_exact(black_box(x), black_box(y))))
        .collect();
    let exact_s = t.elapsed().as_secs_f64();

    let mismatches = fast.iter().zip(&exact).filter(|(a, b)| a != b).count();
    if let Some(i) = (0..POINTS).find(|&i| fast[i] != exact[i]) {
        panic!(
            "locate and locate_exact disagree on {mismatches} of {POINTS} points, first at {:?}: \
             {:?} vs {:?}",
            points[i], fast[i], exact[i]
        );
    }
    let inside = fast.iter().filter(|r| r.is_some()).count();
    let fast_rate = POINTS as f64 / fast_s;
    let exact_rate = POINTS as f64 / exact_s;
    println!(
        "locate (grid):        {:>12.0} points/s  ({:.3} s for {POINTS})",
        fast_rate, fast_s
    );
    println!(
        "locate_exact (rtree): {:>12.0} points/s  ({:.3} s for {POINTS})",
        exact_rate, exact_s
    );
    println!(
        "ratio grid/exact: {:.1}x; answers identical on all {POINTS} points ({inside} inside, {} outside)",
        fast_rate / exact_rate,
        POINTS - inside
    );

    // route_csv end to end on an in-memory CSV shaped like a FIRMS file.
    let mut input = Vec::with_capacity(CSV_ROWS * 64);
    writeln!(
        input,
        "latitude,longitude,brightness,acq_date,acq_time,confidence"
    )
    .unwrap();
    for (k, &(x, y)) in points.iter().take(CSV_ROWS).enumerate() {
        writeln!(
            input,
            "{y:.5},{x:.5},{:.1},2025-11-18,{:04},{}",
            300.0 + (k % 50) as f64,
            k % 2400,
            k % 100
        )
        .unwrap();
    }
    let mut output = Vec::with_capacity(input.len() + CSV_ROWS * 24);
    let t = Instant::now();
    let stats = route_csv(input.as_slice(), &mut output, &index).expect("route_csv");
    let csv_s = t.elapsed().as_secs_f64();
    assert_eq!(stats.rows as usize, CSV_ROWS);
    println!(
        "route_csv: {} rows ({:.1} MB in, {:.1} MB out) in {:.3} s = {:.0} rows/s; \
         {} inside, {} outside, {} unparsable",
        stats.rows,
        input.len() as f64 / 1e6,
        output.len() as f64 / 1e6,
        csv_s,
        CSV_ROWS as f64 / csv_s,
        stats.inside,
        stats.outside,
        stats.unparsable
    );
}
