//! The pipeline the API borrows to lift a suppression. It has its own store connection and no
//! filters (a released detection is not filtered again); SQLite serialises its one short write
//! transaction with the worker's, and the release re-reads the open events inside it, so the
//! two never plan from different views of the store.

use burnwatch_core::Config;
use burnwatch_pipeline::{Pipeline, ReleaseError, Routing, RoutingError};
use burnwatch_server::{LiftError, Release};
use burnwatch_store::{LiftOutcome, SqliteStore, StoreError};
use std::sync::Mutex;

pub struct PipelineRelease {
    pipeline: Mutex<Pipeline<SqliteStore>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReleaseSetupError {
    #[error("cannot load the region boundaries for lifting suppressions: {0}")]
    Routing(#[from] RoutingError),
    #[error("cannot open the store for lifting suppressions: {0}")]
    Store(#[from] StoreError),
}

impl PipelineRelease {
    pub fn open(config: &Config) -> Result<Self, ReleaseSetupError> {
        let routing = Routing::load(&config.regions)?;
        let store = SqliteStore::open(&config.store.path)?;
        Ok(Self {
            pipeline: Mutex::new(Pipeline::new(store, routing, Vec::new(), config)),
        })
    }
}

impl Release for PipelineRelease {
    fn lift(
        &self,
        detection_id: i64,
        actor: &str,
        note: Option<&str>,
    ) -> Result<LiftOutcome, LiftError> {
        let mut pipeline = self.pipeline.lock().unwrap_or_else(|e| e.into_inner());
        pipeline
            .lift_suppression(detection_id, actor, note)
            .map_err(|e| match e {
                ReleaseError::Store(e) => LiftError::Store(e),
                ReleaseError::Pipeline(e) => LiftError::Pipeline(e.to_string()),
            })
    }
}
