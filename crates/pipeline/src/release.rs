//! Lifting a suppression: an operator releases a held-back detection, and it flows on as if it
//! had never been filtered — routed, joined to an open event or starting one, and a new routed
//! event raising an alert — through the same planning code as ingest. It happens once: the store
//! clears the reason only if it is still the one the release was planned against, and keeps the
//! old reason, who lifted it, when and why.

use crate::ingest::{candidate, Pipeline, PipelineError};
use burnwatch_core::event::EventRef;
use burnwatch_store::{
    not_suppressed, DetectionRow, LiftBatch, LiftOutcome, SourceStore, SourceStoreError, Store,
};
use chrono::Utc;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ReleaseError {
    #[error(transparent)]
    Store(#[from] SourceStoreError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

impl<S: Store + SourceStore> Pipeline<S> {
    /// Releases detection `id` from its suppression and lands what it now forms, atomically.
    pub fn lift_suppression(
        &mut self,
        id: i64,
        actor: &str,
        note: Option<&str>,
    ) -> Result<LiftOutcome, ReleaseError> {
        let stored = self.store().detection(id)?;
        let Some(reason) = stored.suppressed_by.clone() else {
            return Err(not_suppressed(&stored).into());
        };
        let d = &stored.detection;
        let placement = self.routing.place(d.lon, d.lat);
        let mut rows = vec![DetectionRow {
            detection: d.clone(),
            natural_key: d.natural_key(),
            region_id: placement.township.clone(),
            county_id: placement.county.clone(),
            suppressed_by: None,
            event: EventRef::None,
        }];
        // A point far from every township is stored as outside and forms no event, as in ingest.
        let (candidates, candidate_rows) = if placement.township.is_some() {
            (vec![candidate(d)], vec![0])
        } else {
            (Vec::new(), Vec::new())
        };
        let (new_events, event_updates) =
            self.plan_events(&candidates, &candidate_rows, &mut rows, &[placement])?;
        let row = &rows[0];
        let lift = LiftBatch {
            detection_id: id,
            reason,
            region_id: row.region_id.clone(),
            county_id: row.county_id.clone(),
            event: row.event,
            new_events,
            event_updates,
            actor: actor.to_owned(),
            note: note.map(str::to_owned),
            at: Utc::now(),
        };
        Ok(self.store_mut().commit_lift(&lift)?)
    }
}
