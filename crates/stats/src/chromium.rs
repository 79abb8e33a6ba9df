//! Headless chromium for the bulletin's PDF and for screenshots. Chromium is optional: callers
//! ask [`find`] first and say clearly when it is absent (Debian: `apt-get install chromium
//! fonts-noto-cjk`; the CJK fonts are what make the Chinese text print).

use crate::StatsError;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `$BURNWATCH_CHROMIUM`, else the first of chromium, chromium-browser, google-chrome on PATH.
pub fn find() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("BURNWATCH_CHROMIUM").map(PathBuf::from) {
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|p| p.is_file())
}

/// How long chromium may take before it is killed: a cold start on a busy machine is slow.
const TIMEOUT: Duration = Duration::from_secs(120);

fn run(chromium: &Path, html: &Path, extra: &[String], output: &Path) -> Result<(), StatsError> {
    let html = std::fs::canonicalize(html)?;
    // A profile of its own: a running browser's profile lock would make this one hand over
    // to it and exit without printing.
    let profile = std::env::temp_dir().join(format!(
        "burnwatch-chromium-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    let _ = std::fs::remove_file(output);
    // Chromium can be chatty; a file, not a pipe nobody reads until the end, takes its log.
    let log_path = profile.with_extension("log");
    let log = std::fs::File::create(&log_path)?;
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            // Root (as in CI containers) cannot use chromium's sandbox.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--allow-file-access-from-files",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", html.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .map_err(|e| StatsError::Chromium(format!("cannot start {}: {e}", chromium.display())))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&profile);
            let _ = std::fs::remove_file(&log_path);
            return Err(StatsError::Chromium(format!(
                "no result within {} s",
                TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stderr = std::fs::read_to_string(&log_path).unwrap_or_default();
    let _ = std::fs::remove_file(&log_path);
    let _ = std::fs::remove_dir_all(&profile);
    let written = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    if !status.success() || written == 0 {
        let tail: String = stderr
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join(" | ");
        return Err(StatsError::Chromium(format!(
            "{} exited with {status} and wrote {written} bytes to {}: {tail}",
            chromium.display(),
            output.display()
        )));
    }
    Ok(())
}

/// Prints the page to PDF (A4, as the page's CSS asks, without the browser's header and footer).
pub fn print_to_pdf(chromium: &Path, html: &Path, pdf: &Path) -> Result<(), StatsError> {
    run(
        chromium,
        html,
        &[
            "--no-pdf-header-footer".to_owned(),
            format!("--print-to-pdf={}", pdf.display()),
        ],
        pdf,
    )?;
    let head = std::fs::read(pdf)?;
    if !head.starts_with(b"%PDF") {
        return Err(StatsError::Chromium(format!(
            "{} is not a PDF",
            pdf.display()
        )));
    }
    Ok(())
}

/// A PNG of the page's first `height` pixels at `width` pixels wide.
pub fn screenshot(
    chromium: &Path,
    html: &Path,
    png: &Path,
    width: u32,
    height: u32,
) -> Result<(), StatsError> {
    run(
        chromium,
        html,
        &[
            format!("--window-size={width},{height}"),
            format!("--screenshot={}", png.display()),
        ],
        png,
    )
}
