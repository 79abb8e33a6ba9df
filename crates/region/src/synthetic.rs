//! Deterministic fake region layers for tests and benchmarks: a jittered lattice of cells whose
//! shared borders wiggle like real township borders. Each border is generated once and used by
//! both neighbours (one forwards, one backwards), so neighbours share identical vertices and the
//! layer tiles without gaps or overlaps.

use crate::{Level, Region};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Shape of a synthetic layer.
#[derive(Debug, Clone, PartialEq)]
pub struct TessellationSpec {
    /// South-west corner and size of the lattice, degrees.
    pub lon0: f64,
    pub lat0: f64,
    pub width_deg: f64,
    pub height_deg: f64,
    pub cols: usize,
    pub rows: usize,
    /// Segments per cell side, drawn uniformly from this inclusive range (at least 1).
    pub segments_per_side: (usize, usize),
    /// Border wiggle amplitude as a fraction of the side length (kept below ~0.1 so cells stay
    /// simple polygons).
    pub wiggle: f64,
    /// Every n-th cell gets a hole filled by an enclave region; consecutive enclaves are paired
    /// into one MultiPolygon region. 0 for none.
    pub enclave_every: usize,
    pub seed: u64,
}

impl TessellationSpec {
    /// About 3,000 township-sized cells with 100–300 vertices each over a 10°×10° box around
    /// Shandong: the size of a province's township layer.
    pub fn benchmark() -> Self {
        TessellationSpec {
            lon0: 111.0,
            lat0: 30.0,
            width_deg: 10.0,
            height_deg: 10.0,
            cols: 55,
            rows: 55,
            segments_per_side: (25, 75),
            wiggle: 0.07,
            enclave_every: 0,
            seed: 20_251_118,
        }
    }

    /// A small layer with holes, enclaves and MultiPolygons, quick enough for unit tests.
    pub fn small(seed: u64) -> Self {
        TessellationSpec {
            lon0: 116.0,
            lat0: 35.0,
            width_deg: 1.2,
            height_deg: 1.0,
            cols: 12,
            rows: 10,
            segments_per_side: (3, 20),
            wiggle: 0.07,
            enclave_every: 7,
            seed,
        }
    }
}

/// Builds the layer: cells first (row-major, ids `T{row:03}{col:03}`), then enclaves (`E{k:04}`).
pub fn tessellation(spec: &TessellationSpec) -> Vec<Region> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let (cols, rows) = (spec.cols.max(1), spec.rows.max(1));
    let dx = spec.width_deg / cols as f64;
    let dy = spec.height_deg / rows as f64;

    // Lattice corners; those on the outer frame stay put so the layer fills its box.
    let mut corners = vec![Coord { x: 0.0, y: 0.0 }; (cols + 1) * (rows + 1)];
    for j in 0..=rows {
        for i in 0..=cols {
            let mut c = Coord {
                x: spec.lon0 + i as f64 * dx,
                y: spec.lat0 + j as f64 * dy,
            };
            if i > 0 && i < cols && j > 0 && j < rows {
                c.x += rng.random_range(-0.15..=0.15) * dx;
                c.y += rng.random_range(-0.15..=0.15) * dy;
            }
            corners[j * (cols + 1) + i] = c;
        }
    }
    let corner = |i: usize, j: usize| corners[j * (cols + 1) + i];

    // Horizontal sides (i, j) -> (i + 1, j), then vertical sides (i, j) -> (i, j + 1).
    let mut horizontal = Vec::with_capacity(cols * (rows + 1));
    for j in 0..=rows {
        for i in 0..cols {
            horizontal.push(wiggly_side(corner(i, j), corner(i + 1, j), spec, &mut rng));
        }
    }
    let mut vertical = Vec::with_capacity((cols + 1) * rows);
    for j in 0..rows {
        for i in 0..=cols {
            vertical.push(wiggly_side(corner(i, j), corner(i, j + 1), spec, &mut rng));
        }
    }
    let h = |i: usize, j: usize| &horizontal[j * cols + i];
    let v = |i: usize, j: usize| &vertical[j * (cols + 1) + i];

    let mut regions = Vec::with_capacity(cols * rows);
    let mut enclaves = Vec::new();
    for j in 0..rows {
        for i in 0..cols {
            // Counter-clockwise: bottom, right, top reversed, left reversed.
            let mut ring: Vec<Coord<f64>> = Vec::new();
            ring.extend_from_slice(h(i, j));
            ring.extend_from_slice(&v(i + 1, j)[1..]);
            ring.extend(h(i, j + 1).iter().rev().skip(1));
            ring.extend(v(i, j).iter().rev().skip(1));
            let n = j * cols + i;
            let mut holes = Vec::new();
            if spec.enclave_every > 0 && n % spec.enclave_every == spec.enclave_every - 1 {
                let centre = [
                    corner(i, j),
                    corner(i + 1, j),
                    corner(i + 1, j + 1),
                    corner(i, j + 1),
                ]
                .iter()
                .fold(Coord { x: 0.0, y: 0.0 }, |a, c| Coord {
                    x: a.x + c.x / 4.0,
                    y: a.y + c.y / 4.0,
                });
                let hole = LineString(star(centre, 0.2 * dx, 0.2 * dy, &mut rng));
                enclaves.push(Polygon::new(hole.clone(), Vec::new()));
                holes.push(hole);
            }
            regions.push(Region {
                id: format!("T{j:03}{i:03}"),
                name: format!("cell {j},{i}"),
                level: Level::Township,
                parent_id: None,
                geometry: MultiPolygon(vec![Polygon::new(LineString(ring), holes)]),
            });
        }
    }
    for (k, pair) in enclaves.chunks(2).enumerate() {
        regions.push(Region {
            id: format!("E{k:04}"),
            name: format!("enclave {k}"),
            level: Level::Township,
            parent_id: None,
            geometry: MultiPolygon(pair.to_vec()),
        });
    }
    regions
}

/// `n` points uniform over `[min_lon - margin, max_lon + margin] × [min_lat - margin, max_lat +
/// margin]`, `extent` being `[min_lon, min_lat, max_lon, max_lat]`.
pub fn random_points(n: usize, extent: [f64; 4], margin_deg: f64, seed: u64) -> Vec<(f64, f64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (x0, x1) = (extent[0] - margin_deg, extent[2] + margin_deg);
    let (y0, y1) = (extent[1] - margin_deg, extent[3] + margin_deg);
    (0..n)
        .map(|_| (rng.random_range(x0..=x1), rng.random_range(y0..=y1)))
        .collect()
}

/// One cell side from a to b, both ends included. Interior vertices sit on the chord displaced
/// along its normal by a smooth random wave tapered to zero at the corners, so the side is a
/// graph over its chord (never self-crossing) and leaves each corner at a shallow angle.
fn wiggly_side(
    a: Coord<f64>,
    b: Coord<f64>,
    spec: &TessellationSpec,
    rng: &mut ChaCha8Rng,
) -> Vec<Coord<f64>> {
    let (lo, hi) = spec.segments_per_side;
    let k = rng.random_range(lo.max(1)..=hi.max(lo).max(1));
    let (ex, ey) = (b.x - a.x, b.y - a.y);
    // Normal scaled to the side length: the wiggle is a fraction of the side either way.
    let (nx, ny) = (-ey, ex);
    let (f1, f2) = (rng.random_range(1.0..3.0), rng.random_range(3.0..7.0));
    let (p1, p2) = (
        rng.random_range(0.0..std::f64::consts::TAU),
        rng.random_range(0.0..std::f64::consts::TAU),
    );
    let mut out = Vec::with_capacity(k + 1);
    out.push(a);
    for s in 1..k {
        let t = s as f64 / k as f64;
        let wave = 0.6 * (std::f64::consts::TAU * f1 * t + p1).sin()
            + 0.3 * (std::f64::consts::TAU * f2 * t + p2).sin()
            + 0.1 * rng.random_range(-1.0..=1.0);
        let off = spec.wiggle * (std::f64::consts::PI * t).sin() * wave;
        out.push(Coord {
            x: a.x + t * ex + off * nx,
            y: a.y + t * ey + off * ny,
        });
    }
    out.push(b);
    out
}

/// A closed star-shaped ring around `c` (an enclave), radii between 60 % and 100 % of `rx`/`ry`.
fn star(c: Coord<f64>, rx: f64, ry: f64, rng: &mut ChaCha8Rng) -> Vec<Coord<f64>> {
    let n = rng.random_range(6..=24);
    let mut ring: Vec<Coord<f64>> = (0..n)
        .map(|s| {
            let angle = std::f64::consts::TAU * s as f64 / n as f64;
            let r = rng.random_range(0.6..=1.0);
            Coord {
                x: c.x + r * rx * angle.cos(),
                y: c.y + r * ry * angle.sin(),
            }
        })
        .collect();
    ring.push(ring[0]);
    ring
}
