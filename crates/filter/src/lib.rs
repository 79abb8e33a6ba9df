//! Non-straw heat sources: everything that holds a detection back before it can form an event,
//! and everything that says a kept detection is probably not a straw fire.
//!
//! - [`registry`]: industrial sites imported from CSV or any OGR layer, each a point or footprint
//!   with a buffer per type; [`RegistryFilter`] holds back detections within a site's buffer.
//! - [`learn`]: grid cells that burn on many days across many months, at night and out of season,
//!   proposed as candidates with their evidence; an operator approves them into the registry.
//! - [`feedback`]: places whose alerts were verified "industrial_heat" again and again, proposed
//!   the same way.
//! - [`silence`]: an area, optional source/sensor matchers and a time span, with author and
//!   reason; [`SilenceFilter`] holds back what they match until they expire.
//! - [`mask`]: a cropland raster in any CRS; detections off cropland are kept but classed
//!   "not_straw" in the store, inside the ingest batch's own transaction.
//! - [`eval`]: runs a simulated season through the real pipeline and measures all of the above.
//!
//! Every suppression names what decided it (`registry:12:华能曲阜电厂`, `learned:31:…`,
//! `silence:4:…`, `product_flag:static_land_source`), so it can be listed and lifted.

pub mod eval;
pub mod feedback;
pub mod geom;
pub mod learn;
pub mod mask;
pub mod registry;
pub mod silence;

pub use mask::{install_classifier, CroplandArea, CroplandMask, FireClass};
pub use registry::{import_sources, ImportOptions, ImportReport, RegistryFilter};
pub use silence::{create_silence, SilenceFilter, SilenceSpec};

use burnwatch_core::filter_config::FilterConfig;
use burnwatch_pipeline::{Filter, ProductFlagFilter};
use burnwatch_store::{SourceStore, SourceStoreError, SqliteStore, StoreError};
use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum FilterError {
    #[error(transparent)]
    Store(#[from] SourceStoreError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("cropland mask {path}: {message}")]
    Mask { path: PathBuf, message: String },
    #[error("invalid silence: {0}")]
    Silence(String),
    #[error("registry entry {id} ({name}) has an unusable footprint: {message}")]
    Site {
        id: i64,
        name: String,
        message: String,
    },
    #[error(transparent)]
    Config(#[from] burnwatch_core::ConfigError),
    #[error(transparent)]
    Pipeline(#[from] burnwatch_pipeline::PipelineError),
    #[error(transparent)]
    Routing(#[from] burnwatch_pipeline::RoutingError),
}

impl From<StoreError> for FilterError {
    fn from(e: StoreError) -> Self {
        Self::Store(SourceStoreError::Store(e))
    }
}

impl From<rusqlite::Error> for FilterError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(SourceStoreError::from(e))
    }
}

/// The filters the configuration and the store call for, in the order they are asked: product
/// flags, then silences, then the registry (imported, learned and feedback sites). The first
/// that holds a detection back names the reason.
pub fn configured_filters<S: SourceStore>(
    config: &FilterConfig,
    store: &S,
) -> Result<Vec<Box<dyn Filter>>, FilterError> {
    let mut filters: Vec<Box<dyn Filter>> = Vec::new();
    if config.product_flags {
        filters.push(Box::new(ProductFlagFilter));
    }
    // Ended silences are loaded too: they still apply to late data acquired while they ran.
    let silences = store.silences(true, chrono::Utc::now())?;
    if !silences.is_empty() {
        filters.push(Box::new(SilenceFilter::new(&silences)?));
    }
    let sites = store.industrial_sources()?;
    if !sites.is_empty() {
        filters.push(Box::new(RegistryFilter::new(&sites, &config.registry)?));
    }
    Ok(filters)
}

/// [`configured_filters`] plus, when a cropland mask is configured, the cropland class written
/// with every detection this store inserts from now on.
pub fn prepare_store(
    config: &FilterConfig,
    store: &SqliteStore,
) -> Result<Vec<Box<dyn Filter>>, FilterError> {
    if let Some(mask) = &config.cropland {
        install_classifier(store, std::sync::Arc::new(CroplandMask::open(mask)?))?;
    }
    configured_filters(config, store)
}
