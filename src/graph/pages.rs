//! The memory pages of a `tc graph` run: transparent huge pages only for big graphs.
//!
//! A fresh 2 MiB page costs the kernel ~0.1 ms to zero, but 2-5 ms when it must first get the
//! memory back from the hypervisor (a VM whose idle memory is handed back, as free page
//! reporting does). A run over a small graph touches ~10 of them for ~6 MB of data, so a cold
//! start can double or triple it: at 1,000 synthetic tasks, medians of five runs of 11-20 ms
//! instead of 6.5 ms, while with 4 KiB pages they stayed within 6.9-9.1 ms (1 ms slower when
//! memory is warm). Big graphs keep huge pages, which save far more there (5,000 tasks: 19
//! against 25 ms).

use std::path::Path;

/// Kind directories holding fewer bytes than this in all (about 1,500 tasks of the synthetic
/// fixture) make a small graph.
const SMALL_GRAPH_BYTES: u64 = 256 * 1024;

/// Turns transparent huge pages off for the rest of this process when the graph under `root`
/// is small. Only for `tc graph`, which starts no process but git: children inherit the setting.
pub fn small_pages_for_small_graphs(root: &Path) {
    if kind_bytes(root) < SMALL_GRAPH_BYTES {
        #[cfg(target_os = "linux")]
        // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and touches no memory of ours.
        unsafe {
            nix::libc::prctl(nix::libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}

/// The size of the files in the kind directories (`kind.yml` and the files its `tasks-from`
/// names beside it).
fn kind_bytes(root: &Path) -> u64 {
    super::load::kind_dirs(root)
        .iter()
        .filter_map(|(_, dir)| std::fs::read_dir(dir).ok())
        .flat_map(|entries| entries.flatten())
        .filter_map(|entry| entry.metadata().ok())
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len())
        .sum()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn thp_disabled() -> bool {
        // SAFETY: PR_GET_THP_DISABLE only returns the flag.
        unsafe { nix::libc::prctl(nix::libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1 }
    }

    fn root_with_kind_of(bytes: usize) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let kind = root.path().join("kinds").join("build");
        std::fs::create_dir_all(&kind).unwrap();
        std::fs::write(kind.join("kind.yml"), "#".repeat(bytes / 2)).unwrap();
        std::fs::write(kind.join("more.yml"), "#".repeat(bytes - bytes / 2)).unwrap();
        root
    }

    #[test]
    fn a_small_graph_turns_huge_pages_off_and_a_big_one_leaves_them() {
        let big = root_with_kind_of(SMALL_GRAPH_BYTES as usize);
        assert_eq!(kind_bytes(big.path()), SMALL_GRAPH_BYTES);
        let before = thp_disabled();
        small_pages_for_small_graphs(big.path());
        assert_eq!(thp_disabled(), before, "a big graph keeps the setting");
        let small = root_with_kind_of(SMALL_GRAPH_BYTES as usize - 1);
        small_pages_for_small_graphs(small.path());
        assert!(thp_disabled());
    }
}
