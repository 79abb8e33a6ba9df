//! burnwatch's shared vocabulary. Every other crate speaks in these types, so a fire pixel keeps the
//! same meaning from the product file to the patrol phone.
//!
//! Invariants held here: coordinates are WGS84 lon/lat degrees, times are UTC.

pub mod alert;
pub mod config;
pub mod coords;
pub mod daemon_config;
pub mod detect_config;
pub mod detection;
pub mod event;
pub mod filter_config;
pub mod geodesy;
pub mod notify_config;
pub mod patrol_config;
pub mod reports_config;
pub mod schedule;

pub use alert::{AlertState, Outcome, TransitionError};
pub use config::{Config, ConfigError};
pub use detection::{ConfidenceClass, DayNight, Detection, Instrument, SourceKind, SAME_PIXEL_KM};
pub use schedule::{Deadlines, Schedule, Season, Seasons, Step};
