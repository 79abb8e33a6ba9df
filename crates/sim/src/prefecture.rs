//! A made-up prefecture: a jittered lattice of township cells, grouped into county blocks.
//! Neighbouring cells share the very same border vertices, as real boundary files do.

use geo::{Contains, Coord, LineString, MultiPolygon, Point, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Prefecture code for the demo: 37 is Shandong, 99 is unused by any real prefecture.
pub const DEMO_PREFECTURE_CODE: &str = "379900";
pub const DEMO_PREFECTURE_NAME: &str = "示范市";

const COUNTY_NAMES: [&str; 6] = ["东岭县", "西河县", "南湖区", "北原县", "青山县", "白水县"];
const TOWN_STEMS: [&str; 24] = [
    "柳林", "杨庄", "王集", "高桥", "李营", "马坡", "石门", "张楼", "黄屯", "陈店", "刘河", "孙寨",
    "赵村", "周岗", "吴堂", "郑集", "冯庙", "褚庄", "卫河", "蒋湾", "沈营", "韩桥", "朱楼", "秦庄",
];

#[derive(Debug, Clone)]
pub struct Township {
    /// 9-digit statistical code: county code + 3 digits.
    pub code: String,
    pub name: String,
    pub county_code: String,
    pub polygon: Polygon<f64>,
}

#[derive(Debug, Clone)]
pub struct County {
    pub code: String,
    pub name: String,
    pub polygon: Polygon<f64>,
}

#[derive(Debug, Clone)]
pub struct DemoPrefecture {
    pub counties: Vec<County>,
    pub townships: Vec<Township>,
    /// lon/lat bounds of the lattice.
    pub bounds: (f64, f64, f64, f64),
}

struct Lattice {
    seed: u64,
    lon0: f64,
    lat0: f64,
    dx: f64,
    dy: f64,
    nx: usize,
    ny: usize,
}

impl Lattice {
    fn vertex(&self, i: usize, j: usize) -> Coord<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(
            self.seed ^ (0x9e37_79b9 * (i as u64 + 1)) ^ ((j as u64 + 1) << 32),
        );
        let jx = if i == 0 || i == self.nx { 0.1 } else { 0.25 };
        let jy = if j == 0 || j == self.ny { 0.1 } else { 0.25 };
        Coord {
            x: self.lon0 + self.dx * (i as f64 + rng.random_range(-jx..jx)),
            y: self.lat0 + self.dy * (j as f64 + rng.random_range(-jy..jy)),
        }
    }

    /// Points of the border from lattice vertex a to b, a included, b excluded. The wiggle is a
    /// function of the unordered pair, so both neighbours trace the same line.
    fn edge(&self, a: (usize, usize), b: (usize, usize)) -> Vec<Coord<f64>> {
        let (lo, hi, reversed) = if a <= b { (a, b, false) } else { (b, a, true) };
        let (p, q) = (self.vertex(lo.0, lo.1), self.vertex(hi.0, hi.1));
        let mut rng = ChaCha8Rng::seed_from_u64(
            self.seed.rotate_left(17)
                ^ ((lo.0 as u64) << 48 | (lo.1 as u64) << 32 | (hi.0 as u64) << 16 | hi.1 as u64),
        );
        const STEPS: usize = 8;
        let (ex, ey) = (q.x - p.x, q.y - p.y);
        let mut pts = vec![p];
        for s in 1..STEPS {
            let f = s as f64 / STEPS as f64;
            let wiggle = rng.random_range(-0.06..0.06);
            // Perpendicular offset in cell units keeps neighbouring edges from crossing.
            pts.push(Coord {
                x: p.x + ex * f - ey * wiggle,
                y: p.y + ey * f + ex * wiggle,
            });
        }
        if reversed {
            pts.push(q);
            pts.reverse();
            pts.pop();
        }
        pts
    }

    /// The closed ring around cells [i0, i1) × [j0, j1), counter-clockwise.
    fn block_ring(&self, i0: usize, j0: usize, i1: usize, j1: usize) -> LineString<f64> {
        let mut pts = Vec::new();
        for i in i0..i1 {
            pts.extend(self.edge((i, j0), (i + 1, j0)));
        }
        for j in j0..j1 {
            pts.extend(self.edge((i1, j), (i1, j + 1)));
        }
        for i in (i0..i1).rev() {
            pts.extend(self.edge((i + 1, j1), (i, j1)));
        }
        for j in (j0..j1).rev() {
            pts.extend(self.edge((i0, j + 1), (i0, j)));
        }
        pts.push(pts[0]);
        LineString::new(pts)
    }
}

impl DemoPrefecture {
    /// `counties_x` × `counties_y` counties, each of `towns_x` × `towns_y` townships, of roughly
    /// 8 × 8 km, south-west corner at (116.30E, 35.00N).
    pub fn generate(seed: u64) -> Self {
        Self::generate_sized(seed, 2, 2, 3, 2)
    }

    pub fn generate_sized(
        seed: u64,
        counties_x: usize,
        counties_y: usize,
        towns_x: usize,
        towns_y: usize,
    ) -> Self {
        let lattice = Lattice {
            seed,
            lon0: 116.30,
            lat0: 35.00,
            dx: 0.09,
            dy: 0.072,
            nx: counties_x * towns_x,
            ny: counties_y * towns_y,
        };
        let mut counties = Vec::new();
        let mut townships = Vec::new();
        for cy in 0..counties_y {
            for cx in 0..counties_x {
                let k = cy * counties_x + cx;
                let code = format!("3799{:02}", k + 1);
                let (i0, j0) = (cx * towns_x, cy * towns_y);
                counties.push(County {
                    code: code.clone(),
                    name: COUNTY_NAMES[k % COUNTY_NAMES.len()].to_owned(),
                    polygon: Polygon::new(
                        lattice.block_ring(i0, j0, i0 + towns_x, j0 + towns_y),
                        vec![],
                    ),
                });
                for ty in 0..towns_y {
                    for tx in 0..towns_x {
                        let n = ty * towns_x + tx;
                        let stem = TOWN_STEMS[(k * 7 + n) % TOWN_STEMS.len()];
                        let suffix = if n == 0 { "街道" } else { "镇" };
                        townships.push(Township {
                            code: format!("{code}{:03}", n + 1),
                            name: format!("{stem}{suffix}"),
                            county_code: code.clone(),
                            polygon: Polygon::new(
                                lattice.block_ring(i0 + tx, j0 + ty, i0 + tx + 1, j0 + ty + 1),
                                vec![],
                            ),
                        });
                    }
                }
            }
        }
        let bounds = (
            lattice.lon0 - lattice.dx,
            lattice.lat0 - lattice.dy,
            lattice.lon0 + lattice.dx * (lattice.nx as f64 + 1.0),
            lattice.lat0 + lattice.dy * (lattice.ny as f64 + 1.0),
        );
        Self {
            counties,
            townships,
            bounds,
        }
    }

    /// The township containing a point, by exact test (the simulator's own truth).
    pub fn township_at(&self, lon: f64, lat: f64) -> Option<&Township> {
        let p = Point::new(lon, lat);
        self.townships.iter().find(|t| t.polygon.contains(&p))
    }

    /// A uniformly random point inside township `t`.
    pub fn random_point_in(&self, t: &Township, rng: &mut impl Rng) -> (f64, f64) {
        use geo::BoundingRect;
        let r = t
            .polygon
            .bounding_rect()
            .expect("a township has a bounding box");
        loop {
            let lon = rng.random_range(r.min().x..r.max().x);
            let lat = rng.random_range(r.min().y..r.max().y);
            if t.polygon.contains(&Point::new(lon, lat)) {
                return (lon, lat);
            }
        }
    }

    pub fn counties_geojson(&self) -> String {
        let features = self.counties.iter().map(|c| {
            feature(
                &c.polygon,
                serde_json::json!({
                    "code": c.code, "name": c.name, "level": "county",
                    "prefecture_code": DEMO_PREFECTURE_CODE, "prefecture_name": DEMO_PREFECTURE_NAME,
                }),
            )
        });
        collection(features)
    }

    pub fn townships_geojson(&self) -> String {
        let features = self.townships.iter().map(|t| {
            feature(
                &t.polygon,
                serde_json::json!({
                    "code": t.code, "name": t.name, "level": "township", "county_code": t.county_code,
                }),
            )
        });
        collection(features)
    }
}

fn feature(polygon: &Polygon<f64>, properties: serde_json::Value) -> geojson::Feature {
    let geometry = geojson::Geometry::from(&MultiPolygon::new(vec![polygon.clone()]));
    geojson::Feature {
        bbox: None,
        geometry: Some(geometry),
        id: None,
        properties: properties.as_object().cloned(),
        foreign_members: None,
    }
}

fn collection(features: impl Iterator<Item = geojson::Feature>) -> String {
    let fc = geojson::FeatureCollection {
        bbox: None,
        features: features.collect(),
        foreign_members: None,
    };
    let mut text = fc.to_string();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, BooleanOps};

    #[test]
    fn townships_tile_their_counties_without_gaps_or_overlaps() {
        let p = DemoPrefecture::generate(7);
        assert_eq!(p.counties.len(), 4);
        assert_eq!(p.townships.len(), 24);
        for c in &p.counties {
            let towns: Vec<_> = p
                .townships
                .iter()
                .filter(|t| t.county_code == c.code)
                .collect();
            let sum: f64 = towns.iter().map(|t| t.polygon.unsigned_area()).sum();
            let county = c.polygon.unsigned_area();
            assert!((sum - county).abs() / county < 1e-9, "{sum} vs {county}");
            for (a, b) in towns.iter().zip(towns.iter().skip(1)) {
                let overlap = a.polygon.intersection(&b.polygon).unsigned_area();
                assert!(overlap < 1e-12, "{} overlaps {}", a.name, b.name);
            }
        }
    }

    #[test]
    fn same_seed_same_prefecture() {
        let a = DemoPrefecture::generate(3).townships_geojson();
        let b = DemoPrefecture::generate(3).townships_geojson();
        assert_eq!(a, b);
        assert_ne!(a, DemoPrefecture::generate(4).townships_geojson());
    }
}
