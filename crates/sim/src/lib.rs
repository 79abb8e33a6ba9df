//! Simulators that make burnwatch runnable and testable without anyone's data: a demo prefecture
//! (counties and townships with wiggly shared borders), an industrial registry, and fire-point
//! products in the real formats (FIRMS MODIS and VIIRS CSV, Himawari WLF, CSPP AFIMG, VNP14IMG
//! NetCDF) with fires placed in townships. Everything is a pure function of the seed.

pub mod prefecture;
pub mod products;
pub mod season;

pub use prefecture::{DemoPrefecture, Township};
pub use products::{viirs_csv, write_samples, SampleSummary, SimError};
