//! All of this crate's GDAL file work runs on one long-lived thread, shared with burnwatch-ingest.
//!
//! Why: HDF5 and netCDF-C are not safe for concurrent use, and netCDF-C silences HDF5's error
//! printing only on the thread that initialised it (HDF5's error stack is per thread), so GDAL
//! reads of NetCDF-4/HDF5 granules from any other thread print "HDF5-DIAG" screens. One thread
//! serialises them; granules are read once each, so this costs no throughput that matters.
//! Detection itself runs on the caller's thread on the arrays this thread returns.

use crate::DetectError;
use std::ffi::CStr;

/// Runs `f` on burnwatch-ingest's NetCDF thread, the one thread of the process that does
/// HDF5/netCDF work, so the two crates never use those libraries at the same time.
pub(crate) fn on_gdal_thread<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, DetectError> + Send + 'static,
) -> Result<T, DetectError> {
    burnwatch_ingest::on_netcdf_thread(move || {
        // Keep NetCDF rows in file order (GDAL would flip "bottom-up" grids): swath line 0 is
        // the first scan. Thread-local, so nothing else is affected.
        // SAFETY: static NUL-terminated strings.
        unsafe {
            gdal_sys::CPLSetThreadLocalConfigOption(
                c"GDAL_NETCDF_BOTTOMUP".as_ptr(),
                c"NO".as_ptr(),
            )
        };
        Ok(f())
    })
    .map_err(|e| DetectError::Worker(format!("the GDAL I/O thread: {e}")))?
}

/// Silences GDAL's stderr printer while probing; the last error stays readable for messages.
/// GDAL's handler stack is thread-local, so other threads are unaffected.
pub(crate) struct QuietGdal;

impl QuietGdal {
    pub(crate) fn push() -> Self {
        // SAFETY: pushes a handler GDAL provides; popped in Drop on the same thread.
        unsafe { gdal_sys::CPLPushErrorHandler(Some(gdal_sys::CPLQuietErrorHandler)) };
        QuietGdal
    }
}

impl Drop for QuietGdal {
    fn drop(&mut self) {
        // SAFETY: balances the push above.
        unsafe { gdal_sys::CPLPopErrorHandler() };
    }
}

pub(crate) fn last_gdal_error() -> String {
    // SAFETY: CPLGetLastErrorMsg returns a pointer to a thread-local NUL-terminated buffer,
    // never NULL; it is copied at once.
    let msg = unsafe { CStr::from_ptr(gdal_sys::CPLGetLastErrorMsg()) };
    let msg = msg.to_string_lossy();
    if msg.is_empty() {
        "no GDAL error message".into()
    } else {
        msg.into_owned()
    }
}
