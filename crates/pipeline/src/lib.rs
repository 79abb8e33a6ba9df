//! The path a fire pixel travels: a product file is parsed into detections, filtered, routed to
//! the township that contains it, merged into fire events, and each new event raises one alert in
//! that township's queue — all landed in one store transaction per file.
//!
//! Stages are plain functions and small traits so the daemon can run them as tasks later; the
//! ordering (filter before events) guarantees a suppressed detection never raises an alert.

mod camera;
mod filter;
mod ingest;
mod release;
mod routing;

pub use camera::{is_camera_fire_file, CAMERA_FIRE_MARKER};
pub use filter::{Filter, ProductFlagFilter};
pub use ingest::{FileReport, Pipeline, PipelineError};
pub use release::ReleaseError;
pub use routing::{Placement, Routing, RoutingError};
