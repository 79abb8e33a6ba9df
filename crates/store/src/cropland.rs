//! Cropland per township measured from the mask, kept for the statistics.

use crate::{fmt_time, Result, SqliteStore};
use chrono::{DateTime, Utc};
use rusqlite::params;

/// One township's measured cropland.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionCropland {
    pub region_id: String,
    pub cropland_ha: f64,
    pub mapped_ha: f64,
}

impl SqliteStore {
    /// Replaces every stored measurement with these, in one transaction: a new mask's figures
    /// never mix with an old one's.
    pub fn replace_cropland(
        &mut self,
        rows: &[RegionCropland],
        mask: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.connection_mut().transaction()?;
        tx.execute("DELETE FROM region_cropland", [])?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO region_cropland (region_id, cropland_ha, mapped_ha, mask, measured_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let at = fmt_time(at);
            for r in rows {
                insert.execute(params![r.region_id, r.cropland_ha, r.mapped_ha, mask, at])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
