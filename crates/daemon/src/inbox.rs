//! The inbox folder: files are claimed by an atomic rename into `processing/`, and moved to
//! `done/<date>/` once stored. A file still being written (its size or time still changing, or
//! named `.…`, `….part`, `….tmp`) is left alone.

use crate::status::Status;
use crate::{sleep_or_stop, DaemonError, Work};
use burnwatch_core::daemon_config::InboxConfig;
use chrono::Utc;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{mpsc, watch};

pub const SOURCE: &str = "inbox";

pub struct Inbox {
    pub dir: PathBuf,
    pub processing: PathBuf,
    pub done: PathBuf,
}

impl Inbox {
    pub fn open(dir: &Path) -> Result<Self, DaemonError> {
        let inbox = Self {
            dir: dir.to_owned(),
            processing: dir.join("processing"),
            done: dir.join("done"),
        };
        for d in [&inbox.dir, &inbox.processing, &inbox.done] {
            std::fs::create_dir_all(d).map_err(|source| DaemonError::Inbox {
                path: d.clone(),
                source,
            })?;
        }
        Ok(inbox)
    }

    /// Files left in `processing/` by an earlier run that stopped or crashed mid-way, oldest
    /// first. Half-written temporary files (dot names) from a crashed writer are removed: their
    /// source will fetch them again.
    pub fn unfinished(&self) -> std::io::Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&self.processing)? {
            let entry = entry?;
            let path = entry.path();
            if !entry.file_type()?.is_file() {
                continue;
            }
            if is_temporary(&path) {
                let _ = std::fs::remove_file(&path);
                continue;
            }
            let modified = entry
                .metadata()?
                .modified()
                .unwrap_or(SystemTime::UNIX_EPOCH);
            files.push((modified, path));
        }
        files.sort();
        Ok(files.into_iter().map(|(_, p)| p).collect())
    }

    /// Moves a file into `processing/`, atomically; returns its new path.
    pub fn claim(&self, path: &Path) -> std::io::Result<PathBuf> {
        let target = free_name(&self.processing, path);
        std::fs::rename(path, &target)?;
        Ok(target)
    }

    /// Makes `bytes` a claimed file in one step: written under a temporary name in
    /// `processing/`, synced, then renamed, so a crash never leaves a partial product behind.
    pub fn deposit(&self, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
        use std::io::Write;
        let tmp = self.processing.join(format!(".{name}.tmp"));
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        let target = free_name(&self.processing, Path::new(name));
        std::fs::rename(&tmp, &target)?;
        Ok(target)
    }

    /// Moves a stored file from `processing/` to `done/<UTC date>/`.
    pub fn finish(&self, path: &Path) -> std::io::Result<PathBuf> {
        let day = self.done.join(Utc::now().format("%Y-%m-%d").to_string());
        std::fs::create_dir_all(&day)?;
        let target = free_name(&day, path);
        std::fs::rename(path, &target)?;
        Ok(target)
    }
}

/// `dir/name`, or `dir/name.1`, `dir/name.2`… when taken: a repeated file name must never
/// overwrite an earlier file.
fn free_name(dir: &Path, path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unnamed".into());
    let mut candidate = dir.join(&name);
    let mut n = 1;
    while candidate.exists() {
        candidate = dir.join(format!("{name}.{n}"));
        n += 1;
    }
    candidate
}

fn is_temporary(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.starts_with('.') || name.ends_with(".part") || name.ends_with(".tmp")
}

/// What a scan saw of a file: it is taken once this has not changed for the settle time.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Seen {
    len: u64,
    modified: SystemTime,
}

/// Queues what an earlier run left in `processing/` (`leftovers`), then scans the inbox until
/// stopped.
pub async fn scan(
    inbox: Arc<Inbox>,
    leftovers: Vec<PathBuf>,
    config: InboxConfig,
    work: mpsc::Sender<Work>,
    status: Arc<Status>,
    mut stop: watch::Receiver<bool>,
) {
    status.register(SOURCE);
    if !leftovers.is_empty() {
        tracing::info!(
            count = leftovers.len(),
            "resuming files left in processing/"
        );
    }
    for path in leftovers {
        let item = Work {
            path,
            source: SOURCE.into(),
        };
        tokio::select! {
            r = work.send(item) => if r.is_err() { return },
            _ = stop.changed() => return,
        }
    }

    let settle = Duration::from_secs_f64(config.settle_secs);
    let interval = Duration::from_secs_f64(config.scan_interval_secs);
    let mut watching: HashMap<PathBuf, (Seen, Instant)> = HashMap::new();
    loop {
        match ready_files(&inbox.dir, &mut watching, settle) {
            Ok(ready) => {
                let mut claimed = 0;
                for path in ready {
                    if *stop.borrow() {
                        return;
                    }
                    match inbox.claim(&path) {
                        Ok(p) => {
                            claimed += 1;
                            let item = Work {
                                path: p,
                                source: SOURCE.into(),
                            };
                            tokio::select! {
                                r = work.send(item) => if r.is_err() { return },
                                // Claimed but not queued: the next start resumes it.
                                _ = stop.changed() => return,
                            }
                        }
                        // Another process took it, or it vanished: not ours.
                        Err(e) => {
                            tracing::debug!(file = %path.display(), error = %e, "claim failed")
                        }
                    }
                }
                status.success(SOURCE, claimed, 0);
            }
            Err(e) => status.failure(SOURCE, &format!("cannot scan {}: {e}", inbox.dir.display())),
        }
        if sleep_or_stop(interval, &mut stop).await {
            return;
        }
    }
}

/// Regular files of the inbox whose size and time have been still for `settle`.
fn ready_files(
    dir: &Path,
    watching: &mut HashMap<PathBuf, (Seen, Instant)>,
    settle: Duration,
) -> std::io::Result<Vec<PathBuf>> {
    let now = Instant::now();
    let mut present = Vec::new();
    let mut ready = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if !entry.file_type()?.is_file() || is_temporary(&path) {
            continue;
        }
        let meta = entry.metadata()?;
        let seen = Seen {
            len: meta.len(),
            modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        };
        present.push(path.clone());
        let since = match watching.get(&path) {
            Some((prev, since)) if *prev == seen => *since,
            _ => {
                watching.insert(path.clone(), (seen, now));
                now
            }
        };
        // Also require the file's own time to be settled, so a file that appeared complete
        // between two scans is not taken mid-write by a writer that pauses.
        let age = SystemTime::now()
            .duration_since(seen.modified)
            .unwrap_or(Duration::ZERO);
        if now.duration_since(since) >= settle && age >= settle {
            ready.push(path);
        }
    }
    watching.retain(|p, _| present.contains(p));
    for p in &ready {
        watching.remove(p);
    }
    ready.sort();
    Ok(ready)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_growing_file_is_not_taken_until_it_settles() {
        let dir = tempfile::tempdir().unwrap();
        let inbox = Inbox::open(dir.path()).unwrap();
        let f = inbox.dir.join("a.csv");
        std::fs::write(&f, "x").unwrap();
        std::fs::write(inbox.dir.join("b.csv.part"), "partial").unwrap();
        let mut watching = HashMap::new();
        let settle = Duration::from_millis(300);
        assert!(ready_files(&inbox.dir, &mut watching, settle)
            .unwrap()
            .is_empty());
        std::thread::sleep(Duration::from_millis(200));
        std::fs::write(&f, "xy").unwrap(); // still growing
        assert!(ready_files(&inbox.dir, &mut watching, settle)
            .unwrap()
            .is_empty());
        std::thread::sleep(Duration::from_millis(150));
        assert!(ready_files(&inbox.dir, &mut watching, settle)
            .unwrap()
            .is_empty());
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(
            ready_files(&inbox.dir, &mut watching, settle).unwrap(),
            vec![f]
        );
    }

    #[test]
    fn claim_finish_and_resume_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let inbox = Inbox::open(dir.path()).unwrap();
        for content in ["one", "two"] {
            let f = inbox.dir.join("same.csv");
            std::fs::write(&f, content).unwrap();
            let claimed = inbox.claim(&f).unwrap();
            assert!(claimed.starts_with(&inbox.processing));
        }
        std::fs::write(inbox.processing.join(".x.tmp"), "half").unwrap();
        let left = inbox.unfinished().unwrap();
        assert_eq!(left.len(), 2, "the crashed writer's temp file is dropped");
        assert!(!inbox.processing.join(".x.tmp").exists());
        for p in left {
            let done = inbox.finish(&p).unwrap();
            assert!(done.starts_with(&inbox.done));
        }
        let day = std::fs::read_dir(&inbox.done)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let mut names: Vec<String> = std::fs::read_dir(day)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        names.sort();
        assert_eq!(names, vec!["one", "two"]);
    }

    #[test]
    fn deposit_is_atomic_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let inbox = Inbox::open(dir.path()).unwrap();
        let p = inbox.deposit("firms.csv", b"abc").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"abc");
        assert_eq!(inbox.unfinished().unwrap(), vec![p]);
    }
}
