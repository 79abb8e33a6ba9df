//! `[filter]`: industrial and other non-straw heat sources.
//!
//! ```toml
//! [filter]
//! product_flags = true              # FIRMS archive `type` 1/2/3 are held back
//! [filter.registry]
//! default_buffer_km = 1.0
//! duplicate_km = 0.5                # closer rows of one import are one site
//! min_pixel_overlap = 0.05          # share of a pixel's footprint inside a buffer that counts
//! [filter.registry.buffers]         # type keyword → buffer, km (longest keyword wins)
//! "power plant" = 1.2
//! [filter.learn]                    # off-season days are those outside the shared [[seasons]]
//! cell_deg = 0.004
//! [filter.cropland]
//! path = "landcover/cropland.tif"
//! crop_values = [40]                # e.g. ESA WorldCover's cropland class
//! ```
//!
//! Values are checked while the file is read, so a bad setting fails at load with the path.

use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    /// Hold back FIRMS archive pixels flagged 1 volcano, 2 static land source, 3 offshore.
    #[serde(default = "yes")]
    pub product_flags: bool,
    #[serde(default)]
    pub registry: RegistryConfig,
    #[serde(default)]
    pub learn: LearnConfig,
    /// Optional cropland raster: a detection off cropland is kept but classed "not straw".
    pub cropland: Option<CroplandConfig>,
    #[serde(default)]
    pub feedback: FeedbackConfig,
}

impl Default for FilterConfig {
    fn default() -> Self {
        Self {
            product_flags: true,
            registry: RegistryConfig::default(),
            learn: LearnConfig::default(),
            cropland: None,
            feedback: FeedbackConfig::default(),
        }
    }
}

impl FilterConfig {
    pub(crate) fn resolve_paths(&mut self, fix: &dyn Fn(&mut PathBuf)) {
        if let Some(c) = &mut self.cropland {
            fix(&mut c.path);
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// Buffer for a type no keyword matches, km.
    #[serde(default = "default_buffer_km", deserialize_with = "non_negative")]
    pub default_buffer_km: f64,
    /// Type keyword (matched case-insensitively inside the row's type) → buffer, km. The
    /// longest matching keyword wins, so "coking plant" can differ from "plant".
    #[serde(default = "default_buffers", deserialize_with = "non_negative_map")]
    pub buffers: BTreeMap<String, f64>,
    /// Two registry points closer than this are one site (the same plant from two databases).
    #[serde(default = "default_duplicate_km", deserialize_with = "non_negative")]
    pub duplicate_km: f64,
    /// A detection's reported point is a pixel centre; the heat may be anywhere in the pixel. A
    /// detection is held back when its centre lies in a site's buffer, or when at least this
    /// share of its footprint does (0: any overlap at all).
    #[serde(default = "default_min_pixel_overlap", deserialize_with = "fraction")]
    pub min_pixel_overlap: f64,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            default_buffer_km: default_buffer_km(),
            buffers: default_buffers(),
            duplicate_km: default_duplicate_km(),
            min_pixel_overlap: default_min_pixel_overlap(),
        }
    }
}

impl RegistryConfig {
    /// The buffer for a site type, km: the longest configured keyword the type contains.
    pub fn buffer_for(&self, kind: &str) -> f64 {
        let kind = kind.to_lowercase();
        self.buffers
            .iter()
            .filter(|(k, _)| kind.contains(&k.to_lowercase()))
            .max_by_key(|(k, _)| k.chars().count())
            .map(|(_, &km)| km)
            .unwrap_or(self.default_buffer_km)
    }
}

fn default_buffer_km() -> f64 {
    1.0
}

fn default_duplicate_km() -> f64 {
    0.5
}

fn default_min_pixel_overlap() -> f64 {
    0.05
}

/// Footprints: a large coal plant with its boilers, cooling towers and coal yard spans a
/// kilometre or more; a gangue heap or a cement kiln line is smaller.
fn default_buffers() -> BTreeMap<String, f64> {
    [
        ("power", 1.2),
        ("steel", 1.2),
        ("coking", 1.0),
        ("chemical", 1.0),
        ("cement", 0.8),
        ("mine", 0.8),
        ("gangue", 0.8),
        ("paper", 0.8),
        ("biomass", 0.8),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearnConfig {
    /// Grid cell size, degrees (about 0.004°, roughly one VIIRS pixel).
    #[serde(default = "default_cell_deg", deserialize_with = "positive")]
    pub cell_deg: f64,
    /// Distinct local days with a detection in the cell's neighbourhood.
    #[serde(default = "default_min_days")]
    pub min_days: u32,
    /// Distinct calendar months among those days.
    #[serde(default = "default_min_months")]
    pub min_months: u32,
    /// Sum of the day weights (below) needed to propose the place.
    #[serde(default = "default_min_score", deserialize_with = "non_negative")]
    pub min_score: f64,
    /// A day with a night-time detection counts this many times (straw is burnt by day).
    #[serde(default = "two", deserialize_with = "non_negative")]
    pub night_weight: f64,
    /// A day outside every season (`Seasons::in_season`) counts this many times (multiplies
    /// with night).
    #[serde(
        default = "default_off_season_weight",
        deserialize_with = "non_negative"
    )]
    pub off_season_weight: f64,
    /// Smallest and largest buffer given to a learned place, km.
    #[serde(
        default = "default_learn_min_buffer",
        deserialize_with = "non_negative"
    )]
    pub min_buffer_km: f64,
    #[serde(
        default = "default_learn_max_buffer",
        deserialize_with = "non_negative"
    )]
    pub max_buffer_km: f64,
}

impl Default for LearnConfig {
    fn default() -> Self {
        Self {
            cell_deg: default_cell_deg(),
            min_days: default_min_days(),
            min_months: default_min_months(),
            min_score: default_min_score(),
            night_weight: 2.0,
            off_season_weight: default_off_season_weight(),
            min_buffer_km: default_learn_min_buffer(),
            max_buffer_km: default_learn_max_buffer(),
        }
    }
}

fn default_cell_deg() -> f64 {
    0.004
}
fn default_min_days() -> u32 {
    8
}
fn default_min_months() -> u32 {
    3
}
fn default_min_score() -> f64 {
    24.0
}
fn default_off_season_weight() -> f64 {
    3.0
}
fn default_learn_min_buffer() -> f64 {
    0.6
}
fn default_learn_max_buffer() -> f64 {
    2.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackConfig {
    /// Verifications "industrial_heat" this close together are one place, km.
    #[serde(default = "one", deserialize_with = "non_negative")]
    pub radius_km: f64,
    /// How many distinct alerts at one place make it a registry candidate.
    #[serde(default = "default_min_reports")]
    pub min_reports: u32,
}

impl Default for FeedbackConfig {
    fn default() -> Self {
        Self {
            radius_km: 1.0,
            min_reports: default_min_reports(),
        }
    }
}

fn default_min_reports() -> u32 {
    2
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CroplandConfig {
    /// Any raster GDAL reads, in any coordinate system it declares.
    pub path: PathBuf,
    /// 1-based band.
    #[serde(default = "default_band")]
    pub band: usize,
    /// Pixel values that mean cropland (a 0/1 mask: `[1]`; ESA WorldCover: `[40]`).
    #[serde(default = "default_crop_values")]
    pub crop_values: Vec<f64>,
}

fn default_band() -> usize {
    1
}

fn default_crop_values() -> Vec<f64> {
    vec![1.0]
}

fn yes() -> bool {
    true
}
fn one() -> f64 {
    1.0
}
fn two() -> f64 {
    2.0
}

fn non_negative<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "must be a non-negative number, got {v}"
        )))
    }
}

fn fraction<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "must be a share between 0 and 1, got {v}"
        )))
    }
}

fn positive<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "must be a positive number, got {v}"
        )))
    }
}

fn non_negative_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, f64>, D::Error> {
    let map = BTreeMap::<String, f64>::deserialize(d)?;
    for (k, v) in &map {
        if !(v.is_finite() && *v >= 0.0) {
            return Err(serde::de::Error::custom(format!(
                "buffer for {k:?} must be a non-negative number, got {v}"
            )));
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<FilterConfig, toml::de::Error> {
        #[derive(Deserialize)]
        struct Wrap {
            filter: FilterConfig,
        }
        toml::from_str::<Wrap>(text).map(|w| w.filter)
    }

    #[test]
    fn longest_keyword_sets_the_buffer() {
        let c = parse(
            "[filter.registry]\ndefault_buffer_km = 0.5\n[filter.registry.buffers]\nplant = 0.7\n\"coking plant\" = 1.1\n",
        )
        .unwrap();
        assert_eq!(c.registry.buffer_for("Coking Plant (2 batteries)"), 1.1);
        assert_eq!(c.registry.buffer_for("cement plant"), 0.7);
        assert_eq!(c.registry.buffer_for("gangue heap"), 0.5);
    }

    #[test]
    fn bad_values_fail_at_load() {
        let e = parse("[filter.registry]\nduplicate_km = -1\n").unwrap_err();
        assert!(e.to_string().contains("non-negative"), "{e}");
        // Seasons have one home, the top-level [[seasons]].
        let e = parse("[[filter.seasons]]\nname = \"x\"\nstart = \"05-20\"\nend = \"06-30\"\n")
            .unwrap_err();
        assert!(e.to_string().contains("seasons"), "{e}");
        let e = parse("[filter.learn]\ncell_size = 0.01\n").unwrap_err();
        assert!(e.to_string().contains("cell_size"), "{e}");
    }
}
