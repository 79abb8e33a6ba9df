//! `burnwatch cropland`: each township's cropland measured from the `[filter.cropland]` mask,
//! stored for the statistics' points per 1,000 ha where `[reports.cropland_ha]` names no figure.

use anyhow::{bail, Context, Result};
use burnwatch_filter::CroplandMask;
use burnwatch_region::{load_layer, Level, RegionIndex};
use burnwatch_store::RegionCropland;
use geo::BoundingRect;
use std::path::Path;

pub fn run(config_path: &Path) -> Result<()> {
    let config = crate::load_config(config_path)?;
    let Some(mask_config) = &config.filter.cropland else {
        bail!("no cropland mask: set [filter.cropland] path = \"…\" (any raster GDAL reads)");
    };
    let Some(townships) = &config.regions.townships else {
        bail!("no township boundaries: set [regions.townships]");
    };
    let mask = CroplandMask::open(mask_config)?;
    let regions = load_layer(townships, Level::Township).context("loading the townships")?;
    let mut bounds = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for r in &regions {
        if let Some(b) = r.geometry.bounding_rect() {
            bounds = [
                bounds[0].min(b.min().x),
                bounds[1].min(b.min().y),
                bounds[2].max(b.max().x),
                bounds[3].max(b.max().y),
            ];
        }
    }
    let index = RegionIndex::new(regions);
    let started = std::time::Instant::now();
    let areas = mask.measure(bounds, index.len(), |lon, lat| index.locate(lon, lat))?;
    let rows: Vec<RegionCropland> = index
        .regions()
        .iter()
        .zip(&areas)
        .map(|(r, a)| RegionCropland {
            region_id: r.id.clone(),
            cropland_ha: a.cropland_ha,
            mapped_ha: a.mapped_ha,
        })
        .collect();
    let mut store = crate::open_store(&config)?;
    store.replace_cropland(
        &rows,
        &mask.path().display().to_string(),
        chrono::Utc::now(),
    )?;
    println!(
        "{:<12} {:<16} {:>12} {:>12} {:>7}",
        "township", "name", "cropland ha", "mapped ha", "share"
    );
    for (r, a) in index.regions().iter().zip(&areas) {
        let share = if a.mapped_ha > 0.0 {
            format!("{:.1}%", 100.0 * a.cropland_ha / a.mapped_ha)
        } else {
            "–".to_owned()
        };
        println!(
            "{:<12} {:<16} {:>12.1} {:>12.1} {:>7}",
            r.id, r.name, a.cropland_ha, a.mapped_ha, share
        );
    }
    let unmapped = areas.iter().filter(|a| a.mapped_ha == 0.0).count();
    println!(
        "{} townships measured from {} in {:.1} s; {} not covered by the mask",
        rows.len(),
        mask.path().display(),
        started.elapsed().as_secs_f64(),
        unmapped
    );
    Ok(())
}
