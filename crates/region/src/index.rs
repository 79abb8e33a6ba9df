//! Which region owns a point: an R-tree with an exact point-in-polygon test as the reference, and
//! a uniform grid in front of it that answers most points with one array read.
//!
//! Why the grid gives exactly the reference answer:
//! - A point's cell is `floor((x - x0) * inv_dx)` clamped to the grid. That function is monotone in
//!   x (every step is a monotone floating-point operation), so the floats of one cell form an
//!   interval, cells partition the extent, and every cell holding some point of a segment lies in
//!   the cell range of the segment's ends. Edges are marked per row with the row bounds and the
//!   edge's x-range there inflated by a tolerance far above any rounding error, so marking is
//!   conservative: a cell no edge was marked in contains no edge point.
//! - geo's winding number uses robust orientation predicates, so the exact test gives the
//!   mathematically exact answer for the stored coordinates, and that answer is the same for all
//!   points of a connected set that no edge touches. An unmarked cell is such a set; so is a run of
//!   unmarked cells in a row, or two unmarked cells stacked on each other. Their answer is computed
//!   once with the reference function at a cell centre checked to fall in its own cell.
//! - A marked cell keeps the regions whose edges touch it (tested exactly, in index order) and the
//!   lowest-index region that covers the whole cell without an edge in it.

use crate::Region;
use burnwatch_core::geodesy::{km_to_degrees, EARTH_RADIUS_KM};
use geo::{Coord, Intersects, LineString, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

/// The exact test behind every answer: a point on a polygon's border counts as inside
/// (`Intersects`). Per polygon rather than `MultiPolygon::intersects`, which recomputes the
/// bounding box of the whole geometry on every call.
pub(crate) fn region_contains(geometry: &MultiPolygon<f64>, c: Coord<f64>) -> bool {
    geometry.0.iter().any(|p| p.intersects(&c))
}

/// Cell values: a region index (interior cell), or one of these.
const NONE: u32 = u32::MAX;
/// No cell centre could be placed in the cell (never seen in practice): ask the reference.
const EXACT: u32 = u32::MAX - 1;
/// Only during the build.
const UNSET: u32 = u32::MAX - 2;
/// Marked cell; the low bits are an offset into the candidate pool.
const BOUNDARY: u32 = 1 << 31;
/// Region indices must stay below the boundary flag, pool offsets below the sentinels.
const MAX_REGIONS: usize = BOUNDARY as usize;
const MAX_POOL: usize = (UNSET - BOUNDARY) as usize;

/// About this many cells per polygon edge keeps marked cells to a few per cent of the grid, where a
/// query pays one exact test. The cap bounds the grid at 32 MiB of cells.
const CELLS_PER_EDGE: usize = 8;
const MIN_CELLS: usize = 1 << 12;
const MAX_CELLS: usize = 1 << 23;
/// Marking tolerance relative to the largest coordinate: rounding errors are ~1e-15 relative.
const MARK_EPS: f64 = 1e-9;

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

#[derive(Debug, Clone, Copy)]
struct Bounds {
    min_x: f64,
    min_y: f64,
    max_x: f64,
    max_y: f64,
}

impl Bounds {
    const EMPTY: Bounds = Bounds {
        min_x: f64::INFINITY,
        min_y: f64::INFINITY,
        max_x: f64::NEG_INFINITY,
        max_y: f64::NEG_INFINITY,
    };

    fn of<'a>(rings: impl IntoIterator<Item = &'a LineString<f64>>) -> Bounds {
        let mut b = Bounds::EMPTY;
        for c in rings.into_iter().flat_map(|r| r.0.iter()) {
            b.min_x = b.min_x.min(c.x);
            b.min_y = b.min_y.min(c.y);
            b.max_x = b.max_x.max(c.x);
            b.max_y = b.max_y.max(c.y);
        }
        b
    }

    fn union(self, o: Bounds) -> Bounds {
        Bounds {
            min_x: self.min_x.min(o.min_x),
            min_y: self.min_y.min(o.min_y),
            max_x: self.max_x.max(o.max_x),
            max_y: self.max_y.max(o.max_y),
        }
    }

    fn is_empty(&self) -> bool {
        !(self.min_x <= self.max_x && self.min_y <= self.max_y)
    }

    #[inline]
    fn contains(&self, c: Coord<f64>) -> bool {
        self.min_x <= c.x && c.x <= self.max_x && self.min_y <= c.y && c.y <= self.max_y
    }
}

/// Figures about a built index, for logs and the benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexStats {
    pub regions: usize,
    pub edges: usize,
    /// min lon, min lat, max lon, max lat of all regions; NaN when the index is empty.
    pub extent: [f64; 4],
    pub grid_cols: usize,
    pub grid_rows: usize,
    pub cell_width_deg: f64,
    pub cell_height_deg: f64,
    /// Cells some edge touches: their points get an exact test against the cell's candidates.
    pub boundary_cells: usize,
    /// Cells that fall back to the reference search (expected 0).
    pub exact_cells: usize,
    /// Cells plus candidate lists.
    pub grid_bytes: usize,
    /// Grid, R-tree, bounding boxes and polygon coordinates, approximately.
    pub total_bytes: usize,
}

/// Regions with a point-location index. Regions keep the order they were given in; that order
/// breaks ties on shared borders.
#[derive(Debug)]
pub struct RegionIndex {
    regions: Vec<Region>,
    /// Bounding box of each polygon of each region, flattened; region i owns
    /// `part_bounds[part_start[i]..part_start[i + 1]]`.
    part_bounds: Vec<Bounds>,
    part_start: Vec<usize>,
    rtree: RTree<Entry>,
    edges: usize,
    grid: Grid,
}

impl RegionIndex {
    /// Builds the index. Regions with non-finite coordinates or no polygons are kept (so indices
    /// match the input) but are never located; [`crate::load_layer`] refuses such input anyway.
    ///
    /// # Panics
    /// With 2^31 regions or more, far beyond any administrative layer.
    pub fn new(regions: Vec<Region>) -> Self {
        assert!(
            regions.len() < MAX_REGIONS,
            "too many regions for one index"
        );
        let mut part_bounds = Vec::new();
        let mut part_start = Vec::with_capacity(regions.len() + 1);
        let mut entries = Vec::with_capacity(regions.len());
        let mut edges = 0;
        for (i, region) in regions.iter().enumerate() {
            part_start.push(part_bounds.len());
            let usable = region
                .geometry
                .0
                .iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .flat_map(|r| r.0.iter())
                .all(|c| c.x.is_finite() && c.y.is_finite());
            let mut whole = Bounds::EMPTY;
            for polygon in &region.geometry.0 {
                let b = if usable {
                    Bounds::of(std::iter::once(polygon.exterior()).chain(polygon.interiors()))
                } else {
                    Bounds::EMPTY
                };
                whole = whole.union(b);
                part_bounds.push(b);
                if usable {
                    edges += std::iter::once(polygon.exterior())
                        .chain(polygon.interiors())
                        .map(|r| r.0.len().saturating_sub(1))
                        .sum::<usize>();
                }
            }
            if !whole.is_empty() {
                let rect =
                    Rectangle::from_corners([whole.min_x, whole.min_y], [whole.max_x, whole.max_y]);
                entries.push(GeomWithData::new(rect, i));
            }
        }
        part_start.push(part_bounds.len());
        let mut index = RegionIndex {
            regions,
            part_bounds,
            part_start,
            rtree: RTree::bulk_load(entries),
            edges,
            grid: Grid::empty(),
        };
        index.grid = Grid::build(&index);
        index
    }

    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// # Panics
    /// When `i` is not an index into [`Self::regions`].
    pub fn get(&self, i: usize) -> &Region {
        &self.regions[i]
    }

    pub fn len(&self) -> usize {
        self.regions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    /// The region that owns the point, fast. Always the same answer as [`Self::locate_exact`];
    /// `None` for a point outside every region (keep and report it) or a non-finite coordinate.
    #[inline]
    pub fn locate(&self, lon: f64, lat: f64) -> Option<usize> {
        let g = &self.grid;
        // Also false for NaN. Outside the extent no polygon can contain the point.
        if !(lon >= g.x0 && lon <= g.x1 && lat >= g.y0 && lat <= g.y1) {
            return None;
        }
        let v = g.cells[g.row(lat) * g.nx + g.col(lon)];
        if v < BOUNDARY {
            return Some(v as usize);
        }
        match v {
            NONE => None,
            EXACT => self.locate_exact(lon, lat),
            _ => {
                let off = (v - BOUNDARY) as usize;
                let covering = g.pool[off];
                let n = g.pool[off + 1] as usize;
                let c = Coord { x: lon, y: lat };
                g.pool[off + 2..off + 2 + n]
                    .iter()
                    .map(|&i| i as usize)
                    .find(|&i| self.contains(i, c))
                    .or((covering != NONE).then_some(covering as usize))
            }
        }
    }

    /// The reference answer: among the regions whose bounding box holds the point (R-tree), the
    /// lowest-index one whose polygon intersects the point (border included).
    pub fn locate_exact(&self, lon: f64, lat: f64) -> Option<usize> {
        if !(lon.is_finite() && lat.is_finite()) {
            return None;
        }
        let c = Coord { x: lon, y: lat };
        let mut best: Option<usize> = None;
        for entry in self.rtree.locate_all_at_point(&[lon, lat]) {
            let i = entry.data;
            if best.is_some_and(|b| b < i) {
                continue;
            }
            if self.contains(i, c) {
                best = Some(i);
            }
        }
        best
    }

    /// Regions other than `owner` whose polygon comes within `km` of the point, nearest first.
    pub fn neighbours_within(
        &self,
        lon: f64,
        lat: f64,
        km: f64,
        owner: Option<usize>,
    ) -> Vec<usize> {
        self.neighbours_with_distance(lon, lat, km, owner)
            .into_iter()
            .map(|(i, _)| i)
            .collect()
    }

    /// As [`Self::neighbours_within`], with each region's distance in km (0 inside it).
    pub fn neighbours_with_distance(
        &self,
        lon: f64,
        lat: f64,
        km: f64,
        owner: Option<usize>,
    ) -> Vec<(usize, f64)> {
        if !(lon.is_finite() && lat.is_finite() && km >= 0.0 && km.is_finite()) {
            return Vec::new();
        }
        let (dlon, dlat) = km_to_degrees(km, lat);
        let search = AABB::from_corners([lon - dlon, lat - dlat], [lon + dlon, lat + dlat]);
        let mut found: Vec<(usize, f64)> = self
            .rtree
            .locate_in_envelope_intersecting(&search)
            .map(|e| e.data)
            .filter(|&i| Some(i) != owner)
            .map(|i| (i, self.distance_km(i, lon, lat)))
            .filter(|&(_, d)| d <= km)
            .collect();
        found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        found
    }

    /// Distance in km from the point to region `i`: 0 inside or on the border, otherwise to the
    /// nearest point of its border, measured in a local equirectangular frame centred on the
    /// point (within centimetres of the great-circle distance at a few km).
    ///
    /// # Panics
    /// When `i` is not an index into [`Self::regions`].
    pub fn distance_km(&self, i: usize, lon: f64, lat: f64) -> f64 {
        let c = Coord { x: lon, y: lat };
        if self.contains(i, c) {
            return 0.0;
        }
        let ky = EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;
        let kx = ky * lat.to_radians().cos();
        let mut best = f64::INFINITY;
        for polygon in &self.regions[i].geometry.0 {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                for line in ring.lines() {
                    let (px, py) = ((line.start.x - lon) * kx, (line.start.y - lat) * ky);
                    let (dx, dy) = ((line.end.x - lon) * kx - px, (line.end.y - lat) * ky - py);
                    let len2 = dx * dx + dy * dy;
                    let t = if len2 > 0.0 {
                        (-(px * dx + py * dy) / len2).clamp(0.0, 1.0)
                    } else {
                        0.0
                    };
                    best = best.min((px + t * dx).hypot(py + t * dy));
                }
            }
        }
        best
    }

    pub fn stats(&self) -> IndexStats {
        let g = &self.grid;
        let boundary_cells = g.cells.iter().filter(|&&v| is_marked(v)).count();
        let exact_cells = g.cells.iter().filter(|&&v| v == EXACT).count();
        let grid_bytes = (g.cells.capacity() + g.pool.capacity()) * 4;
        let coords: usize = self
            .regions
            .iter()
            .flat_map(|r| r.geometry.0.iter())
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .map(|r| r.0.capacity())
            .sum();
        let total_bytes = grid_bytes
            + coords * std::mem::size_of::<Coord<f64>>()
            + self.part_bounds.capacity() * std::mem::size_of::<Bounds>()
            + self.part_start.capacity() * std::mem::size_of::<usize>()
            // R-tree leaves plus roughly one parent node per few leaves.
            + self.rtree.size() * std::mem::size_of::<Entry>() * 3 / 2
            + self.regions.capacity() * std::mem::size_of::<Region>();
        let empty = g.cells.is_empty();
        IndexStats {
            regions: self.regions.len(),
            edges: self.edges,
            extent: if empty {
                [f64::NAN; 4]
            } else {
                [g.x0, g.y0, g.x1, g.y1]
            },
            grid_cols: g.nx,
            grid_rows: g.ny,
            cell_width_deg: if g.inv_dx > 0.0 { 1.0 / g.inv_dx } else { 0.0 },
            cell_height_deg: if g.inv_dy > 0.0 { 1.0 / g.inv_dy } else { 0.0 },
            boundary_cells,
            exact_cells,
            grid_bytes,
            total_bytes,
        }
    }

    /// The exact test of one region, skipping polygons whose box misses the point (the winding
    /// number is exactly zero there, so skipping changes nothing).
    #[inline]
    fn contains(&self, i: usize, c: Coord<f64>) -> bool {
        let bounds = &self.part_bounds[self.part_start[i]..self.part_start[i + 1]];
        self.regions[i]
            .geometry
            .0
            .iter()
            .zip(bounds)
            .any(|(p, b)| b.contains(c) && p.intersects(&c))
    }
}

fn is_marked(v: u32) -> bool {
    (BOUNDARY..UNSET).contains(&v)
}

#[derive(Debug)]
struct Grid {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    inv_dx: f64,
    inv_dy: f64,
    nx: usize,
    ny: usize,
    cells: Vec<u32>,
    pool: Vec<u32>,
}

impl Grid {
    /// An extent no point is inside, so `locate` never reads a cell.
    fn empty() -> Grid {
        Grid {
            x0: f64::INFINITY,
            y0: f64::INFINITY,
            x1: f64::NEG_INFINITY,
            y1: f64::NEG_INFINITY,
            inv_dx: 0.0,
            inv_dy: 0.0,
            nx: 0,
            ny: 0,
            cells: Vec::new(),
            pool: Vec::new(),
        }
    }

    /// The cell column of x; callers guarantee x0 <= x <= x1. Cells are defined by this function
    /// alone: build and query both call it.
    #[inline]
    fn col(&self, x: f64) -> usize {
        (((x - self.x0) * self.inv_dx) as usize).min(self.nx - 1)
    }

    #[inline]
    fn row(&self, y: f64) -> usize {
        (((y - self.y0) * self.inv_dy) as usize).min(self.ny - 1)
    }

    /// Approximate bounds of a row, only ever used with the marking tolerance.
    fn row_bounds(&self, r: usize) -> (f64, f64) {
        bounds_of(r, self.ny, self.y0, self.inv_dy)
    }

    /// A point of the cell, checked to map back to the cell with the query arithmetic.
    fn centre(&self, c: usize, r: usize) -> Option<Coord<f64>> {
        let at = |i: usize, o: f64, inv: f64| {
            if inv > 0.0 {
                o + (i as f64 + 0.5) / inv
            } else {
                o
            }
        };
        let x = at(c, self.x0, self.inv_dx);
        let y = at(r, self.y0, self.inv_dy);
        let inside = x >= self.x0 && x <= self.x1 && y >= self.y0 && y <= self.y1;
        (inside && self.col(x) == c && self.row(y) == r).then_some(Coord { x, y })
    }

    fn build(index: &RegionIndex) -> Grid {
        let extent = index
            .part_bounds
            .iter()
            .fold(Bounds::EMPTY, |a, b| a.union(*b));
        if extent.is_empty() {
            return Grid::empty();
        }
        let (nx, ny) = dimensions(index.edges, &extent);
        let (w, h) = (extent.max_x - extent.min_x, extent.max_y - extent.min_y);
        let mut grid = Grid {
            x0: extent.min_x,
            y0: extent.min_y,
            x1: extent.max_x,
            y1: extent.max_y,
            inv_dx: if w > 0.0 { nx as f64 / w } else { 0.0 },
            inv_dy: if h > 0.0 { ny as f64 / h } else { 0.0 },
            nx,
            ny,
            cells: vec![UNSET; nx * ny],
            pool: Vec::new(),
        };
        let scale = [extent.min_x, extent.min_y, extent.max_x, extent.max_y]
            .iter()
            .fold(1.0_f64, |m, v| m.max(v.abs()));
        let eps = MARK_EPS * scale;

        // (cell << 32 | region) for every cell an edge may touch; sorted, this groups by cell
        // with the regions in index order.
        let mut marks: Vec<u64> = Vec::new();
        for (i, region) in index.regions.iter().enumerate() {
            let parts = &index.part_bounds[index.part_start[i]..index.part_start[i + 1]];
            for (polygon, b) in region.geometry.0.iter().zip(parts) {
                if b.is_empty() {
                    continue;
                }
                for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                    for line in ring.lines() {
                        grid.mark_edge(line.start, line.end, i as u64, eps, &mut marks);
                    }
                }
            }
        }
        marks.sort_unstable();
        marks.dedup();

        let mut candidates: Vec<u32> = Vec::new();
        for group in marks.chunk_by(|a, b| a >> 32 == b >> 32) {
            let cell = (group[0] >> 32) as usize;
            let Some(centre) = grid.centre(cell % nx, cell / nx) else {
                grid.cells[cell] = EXACT;
                continue;
            };
            candidates.clear();
            candidates.extend(group.iter().map(|&m| m as u32));
            // A region without edges here either covers the whole cell or misses it entirely,
            // so one test at the centre decides.
            let covering = index
                .rtree
                .locate_all_at_point(&[centre.x, centre.y])
                .map(|e| e.data)
                .filter(|&i| candidates.binary_search(&(i as u32)).is_err())
                .filter(|&i| index.contains(i, centre))
                .min()
                .map_or(NONE, |i| i as u32);
            // Candidates after the covering region can never be the answer.
            candidates.retain(|&i| i < covering);
            if grid.pool.len() + 2 + candidates.len() > MAX_POOL {
                grid.cells[cell] = EXACT;
                continue;
            }
            grid.cells[cell] = BOUNDARY + grid.pool.len() as u32;
            grid.pool.push(covering);
            grid.pool.push(candidates.len() as u32);
            grid.pool.extend_from_slice(&candidates);
        }
        drop(marks);

        // Unmarked cells: one answer per run of a row, taken from an unmarked cell above when
        // there is one (the two cells together are connected and edge-free), else computed.
        for r in 0..ny {
            let row = r * nx;
            let mut c = 0;
            while c < nx {
                if grid.cells[row + c] != UNSET {
                    c += 1;
                    continue;
                }
                let start = c;
                while c < nx && grid.cells[row + c] == UNSET {
                    c += 1;
                }
                let from_above = if r > 0 {
                    (start..c)
                        .map(|k| grid.cells[row - nx + k])
                        .find(|&v| v == NONE || v < BOUNDARY)
                } else {
                    None
                };
                let value = from_above.unwrap_or_else(|| {
                    (start..c)
                        .find_map(|k| grid.centre(k, r))
                        .map_or(EXACT, |p| {
                            index.locate_exact(p.x, p.y).map_or(NONE, |i| i as u32)
                        })
                });
                grid.cells[row + start..row + c].fill(value);
            }
        }
        grid.pool.shrink_to_fit();
        grid
    }

    /// Marks every cell the segment a-b may touch, row by row so a long slanted edge marks a
    /// band of cells rather than its whole bounding box.
    fn mark_edge(&self, a: Coord<f64>, b: Coord<f64>, region: u64, eps: f64, out: &mut Vec<u64>) {
        let (min_x, max_x) = (a.x.min(b.x), a.x.max(b.x));
        let (min_y, max_y) = (a.y.min(b.y), a.y.max(b.y));
        let (c0, c1) = (self.col(min_x), self.col(max_x));
        let (r0, r1) = (self.row(min_y), self.row(max_y));
        let mut push = |r: usize, ca: usize, cb: usize| {
            for c in ca..=cb {
                out.push((((r * self.nx + c) as u64) << 32) | region);
            }
        };
        if r0 == r1 || c0 == c1 {
            for r in r0..=r1 {
                push(r, c0, c1);
            }
            return;
        }
        // r0 != r1, so a.y != b.y.
        let slope = (b.x - a.x) / (b.y - a.y);
        for r in r0..=r1 {
            let (lo, hi) = self.row_bounds(r);
            let y_lo = (lo - eps).max(min_y);
            let y_hi = (hi + eps).min(max_y);
            let xa = a.x + (y_lo - a.y) * slope;
            let xb = a.x + (y_hi - a.y) * slope;
            let x_lo = (xa.min(xb) - eps).max(min_x);
            let x_hi = (xa.max(xb) + eps).min(max_x);
            if y_lo <= y_hi && x_lo <= x_hi {
                push(r, self.col(x_lo).max(c0), self.col(x_hi).min(c1));
            } else {
                // Cannot happen with the tolerance above; stay conservative if it does.
                push(r, c0, c1);
            }
        }
    }
}

/// Bounds of cell `i` of `n` starting at `o`, open-ended at both ends of the grid.
fn bounds_of(i: usize, n: usize, o: f64, inv: f64) -> (f64, f64) {
    if inv <= 0.0 {
        return (f64::NEG_INFINITY, f64::INFINITY);
    }
    let lo = if i == 0 {
        f64::NEG_INFINITY
    } else {
        o + i as f64 / inv
    };
    let hi = if i + 1 >= n {
        f64::INFINITY
    } else {
        o + (i + 1) as f64 / inv
    };
    (lo, hi)
}

/// Grid columns and rows: cells roughly square on the ground, count from the number of edges.
fn dimensions(edges: usize, extent: &Bounds) -> (usize, usize) {
    let target = edges
        .saturating_mul(CELLS_PER_EDGE)
        .clamp(MIN_CELLS, MAX_CELLS);
    let mid_lat = (extent.min_y + extent.max_y) / 2.0;
    let kx = if (-90.0..=90.0).contains(&mid_lat) {
        mid_lat.to_radians().cos().max(0.01)
    } else {
        1.0
    };
    let w = (extent.max_x - extent.min_x) * kx;
    let h = extent.max_y - extent.min_y;
    if w > 0.0 && h > 0.0 {
        let nx = ((target as f64 * w / h).sqrt().round() as usize).clamp(1, target);
        (nx, (target / nx).max(1))
    } else if w > 0.0 {
        (target, 1)
    } else if h > 0.0 {
        (1, target)
    } else {
        (1, 1)
    }
}
