//! The memory pages of a `tc graph` run: transparent huge pages only for big graphs.
//!
//! A fresh 2 MiB page is cheap to fault in when its memory was just freed, but costs
//! milliseconds when the kernel must first get it back from the hypervisor (a VM whose idle
//! memory is handed back, as free page reporting does). A small graph touches ~10 such pages for
//! a few MB of data, so a cold start could double its run; 4 KiB pages cost it a little more
//! when memory is warm and do not stall. Big graphs keep huge pages, which save far more there.
//! The measurements are in the README (performance, `tc graph`).

use std::path::Path;

/// Kind directories holding fewer bytes than this in all (about 1,500 tasks of the synthetic
/// fixture) make a small graph.
const SMALL_GRAPH_BYTES: u64 = 256 * 1024;

/// Turns transparent huge pages off for the rest of this process when the graph under `root`
/// is small. Only for `tc graph`, which starts no process but git: children inherit the setting.
pub fn small_pages_for_small_graphs(root: &Path) {
    if cfg!(target_os = "linux") && is_small(root) {
        huge_pages_off();
    }
}

#[cfg(target_os = "linux")]
fn huge_pages_off() {
    use nix::libc::{PR_SET_THP_DISABLE, c_ulong, prctl};
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only (the unused ones zero, as the
    // kernel requires) and touches no memory of ours. Failing, it changes nothing.
    unsafe {
        prctl(
            PR_SET_THP_DISABLE,
            1 as c_ulong,
            0 as c_ulong,
            0 as c_ulong,
            0 as c_ulong,
        );
    }
}

/// Only Linux has transparent huge pages to turn off.
#[cfg(not(target_os = "linux"))]
fn huge_pages_off() {}

/// Whether the graph under `root` is small: its kind directories' files (`kind.yml` and the
/// files its `tasks-from` names beside it) below [`SMALL_GRAPH_BYTES`].
fn is_small(root: &Path) -> bool {
    let bytes: u64 = super::load::kind_dirs(root)
        .iter()
        .filter_map(|(_, dir)| std::fs::read_dir(dir).ok())
        .flat_map(std::iter::Iterator::flatten)
        .filter_map(|entry| std::fs::metadata(entry.path()).ok())
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len())
        .sum();
    bytes < SMALL_GRAPH_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A root with one kind of `bytes` split over `kind.yml` and a `tasks-from` file, and a
    /// directory under `kinds/` without a `kind.yml` (not a kind: not counted).
    fn root_with_kind_of(bytes: usize) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let kind = root.path().join("kinds").join("build");
        std::fs::create_dir_all(&kind).unwrap();
        std::fs::write(kind.join("kind.yml"), "#".repeat(bytes / 2)).unwrap();
        std::fs::write(kind.join("more.yml"), "#".repeat(bytes - bytes / 2)).unwrap();
        let other = root.path().join("kinds").join("notes");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(
            other.join("big.txt"),
            "#".repeat(usize::try_from(SMALL_GRAPH_BYTES).unwrap()),
        )
        .unwrap();
        root
    }

    #[test]
    fn a_graph_is_small_below_the_bound_counting_every_file_of_its_kinds() {
        let bound = usize::try_from(SMALL_GRAPH_BYTES).unwrap();
        assert!(is_small(root_with_kind_of(bound - 1).path()));
        assert!(!is_small(root_with_kind_of(bound).path()));
        assert!(
            is_small(tempfile::tempdir().unwrap().path()),
            "no kinds at all"
        );
    }
}
