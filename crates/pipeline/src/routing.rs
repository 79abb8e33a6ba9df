//! Routing: which township owns a point, which neighbours also see it, and its county.

use burnwatch_core::config::RegionsConfig;
use burnwatch_region::{link_parents, load_layer, Level, Region, RegionError, RegionIndex};
use burnwatch_store::RegionRow;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum RoutingError {
    #[error(transparent)]
    Region(#[from] RegionError),
    #[error("no township layer configured: set [regions.townships] in the config")]
    NoTownships,
    #[error("cannot encode the geometry of region {0} as GeoJSON")]
    Geometry(String),
}

/// Where a point belongs.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// The owning township; `None` when the point is outside every township and not near one.
    pub township: Option<String>,
    pub county: Option<String>,
    /// Other townships within the border distance, nearest first, km.
    pub neighbours: Vec<(String, f64)>,
    /// True when the point lies in no township polygon (it may still be owned by the nearest
    /// township if it is within the border distance, e.g. in a sliver between polygons).
    pub outside: bool,
}

pub struct Routing {
    townships: RegionIndex,
    counties: Option<RegionIndex>,
    border_km: f64,
}

impl Routing {
    pub fn load(config: &RegionsConfig) -> Result<Self, RoutingError> {
        let townships_cfg = config.townships.as_ref().ok_or(RoutingError::NoTownships)?;
        let mut townships = load_layer(townships_cfg, Level::Township)?;
        let counties = match &config.counties {
            Some(c) => {
                let counties = load_layer(c, Level::County)?;
                link_parents(&mut townships, &counties);
                Some(RegionIndex::new(counties))
            }
            None => None,
        };
        Ok(Self {
            townships: RegionIndex::new(townships),
            counties,
            border_km: config.border_km,
        })
    }

    pub fn from_indexes(
        townships: RegionIndex,
        counties: Option<RegionIndex>,
        border_km: f64,
    ) -> Self {
        Self {
            townships,
            counties,
            border_km,
        }
    }

    pub fn place(&self, lon: f64, lat: f64) -> Placement {
        let owner = self.townships.locate(lon, lat);
        let near = self
            .townships
            .neighbours_with_distance(lon, lat, self.border_km, owner);
        let (owner, neighbours) = match owner {
            Some(i) => (Some(i), near),
            // In no polygon but close to one: the nearest township checks it.
            None => match near.split_first() {
                Some((&(first, _), rest)) => (Some(first), rest.to_vec()),
                None => (None, Vec::new()),
            },
        };
        let township = owner.map(|i| self.townships.get(i));
        let county = township.and_then(|t| t.parent_id.clone()).or_else(|| {
            let counties = self.counties.as_ref()?;
            counties
                .locate(lon, lat)
                .map(|i| counties.get(i).id.clone())
        });
        Placement {
            township: township.map(|t| t.id.clone()),
            county,
            neighbours: neighbours
                .into_iter()
                .map(|(i, km)| (self.townships.get(i).id.clone(), km))
                .collect(),
            outside: self.townships.locate(lon, lat).is_none(),
        }
    }

    /// west, south, east, north of all townships: the area to ask FIRMS about.
    pub fn extent(&self) -> Option<[f64; 4]> {
        use geo::BoundingRect;
        self.townships
            .regions()
            .iter()
            .filter_map(|r| r.geometry.bounding_rect())
            .map(|b| [b.min().x, b.min().y, b.max().x, b.max().y])
            .reduce(|a, b| {
                [
                    a[0].min(b[0]),
                    a[1].min(b[1]),
                    a[2].max(b[2]),
                    a[3].max(b[3]),
                ]
            })
    }

    /// The regions as store rows (GeoJSON geometry), counties first.
    pub fn region_rows(&self) -> Result<Vec<RegionRow>, RoutingError> {
        let counties = self.counties.iter().flat_map(|c| c.regions());
        counties
            .chain(self.townships.regions())
            .map(region_row)
            .collect()
    }
}

fn region_row(r: &Region) -> Result<RegionRow, RoutingError> {
    let geometry = geojson::Geometry::from(&r.geometry);
    Ok(RegionRow {
        id: r.id.clone(),
        name: r.name.clone(),
        level: r.level.as_str().to_owned(),
        parent_id: r.parent_id.clone(),
        geometry: serde_json::to_string(&geometry)
            .map_err(|_| RoutingError::Geometry(r.id.clone()))?,
    })
}
