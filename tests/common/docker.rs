//! Docker test support (worker.md §14): a one-layer busybox image written by the test in
//! `docker save` layout (no registry), loaded through tc's own loader; everything a test makes
//! carries `org.taskcluster.tc.test=<run id>` and is removed by a drop guard.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A statically linked busybox: `TC_TEST_BUSYBOX`, else `busybox` on PATH; one with an ELF
/// interpreter (dynamically linked) does not count.
pub(crate) fn static_busybox() -> Option<PathBuf> {
    let candidate = std::env::var_os("TC_TEST_BUSYBOX")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join("busybox"))
                    .find(|p| p.is_file())
            })
        })?;
    let bytes = std::fs::read(&candidate).ok()?;
    is_static_elf(&bytes).then_some(candidate)
}

/// An ELF file without a PT_INTERP program header.
fn is_static_elf(b: &[u8]) -> bool {
    if b.len() < 64 || &b[..4] != b"\x7fELF" || b[4] != 2 {
        return false;
    }
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as usize;
    let u64_at =
        |o: usize| usize::try_from(u64::from_le_bytes(b[o..o + 8].try_into().unwrap())).unwrap();
    let (phoff, phentsize, phnum) = (u64_at(32), u16_at(54), u16_at(56));
    (0..phnum).all(|i| {
        let at = phoff + i * phentsize;
        at + 4 <= b.len() && u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) != 3
    })
}

/// The applets the test image links to busybox.
const APPLETS: &[&str] = &[
    "sh", "echo", "cat", "sleep", "mkdir", "ln", "true", "false", "env", "ls", "rm", "touch",
    "printf", "test", "id", "trap", "kill", "mkfifo", "wc",
];

fn tar_file(builder: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8], mode: u32) {
    let mut h = tar::Header::new_ustar();
    h.set_size(data.len() as u64);
    h.set_mode(mode);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    builder.append_data(&mut h, path, data).unwrap();
}

/// The image archive (plain tar) for `reference`: one layer with `bin/busybox` and applets.
pub(crate) fn image_archive(busybox: &Path, reference: &str) -> Vec<u8> {
    let mut layer = tar::Builder::new(Vec::new());
    let mut dir = tar::Header::new_ustar();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o755);
    dir.set_mtime(0);
    dir.set_size(0);
    layer
        .append_data(&mut dir, "bin/", std::io::empty())
        .unwrap();
    dir.set_mode(0o1777);
    layer
        .append_data(&mut dir, "tmp/", std::io::empty())
        .unwrap();
    tar_file(
        &mut layer,
        "bin/busybox",
        &std::fs::read(busybox).unwrap(),
        0o755,
    );
    for applet in APPLETS {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_mode(0o777);
        h.set_mtime(0);
        h.set_size(0);
        layer
            .append_link(&mut h, format!("bin/{applet}"), "busybox")
            .unwrap();
    }
    let layer = layer.into_inner().unwrap();
    let layer_sha = hex::encode(Sha256::digest(&layer));
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["sh", "-c", "echo image default"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{layer_sha}")]},
    })
    .to_string();
    let config_sha = hex::encode(Sha256::digest(config.as_bytes()));
    let manifest = serde_json::json!([{
        "Config": format!("{config_sha}.json"),
        "RepoTags": [reference],
        "Layers": [format!("{layer_sha}/layer.tar")],
    }])
    .to_string();
    let mut out = tar::Builder::new(Vec::new());
    tar_file(&mut out, "manifest.json", manifest.as_bytes(), 0o644);
    tar_file(
        &mut out,
        &format!("{config_sha}.json"),
        config.as_bytes(),
        0o644,
    );
    tar_file(&mut out, &format!("{layer_sha}/layer.tar"), &layer, 0o644);
    out.into_inner().unwrap()
}

/// Writes the archive as `.tar`, `.tar.zst` and `.tar.lz4` into `dir`.
pub(crate) fn write_archives(dir: &Path, archive: &[u8]) -> [PathBuf; 3] {
    let tar = dir.join("busybox.tar");
    std::fs::write(&tar, archive).unwrap();
    let zst = dir.join("busybox.tar.zst");
    std::fs::write(&zst, zstd::encode_all(archive, 3).unwrap()).unwrap();
    let lz4 = dir.join("busybox.tar.lz4");
    let mut enc = lz4_flex::frame::FrameEncoder::new(Vec::new());
    enc.write_all(archive).unwrap();
    std::fs::write(&lz4, enc.finish().unwrap()).unwrap();
    [tar, zst, lz4]
}

/// Removes every container and volume carrying this test run's label, even on failure.
pub(crate) struct Cleanup {
    pub run_id: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let filter = format!("label=org.taskcluster.tc.test={}", self.run_id);
        let ids = std::process::Command::new("docker")
            .args(["ps", "-aq", "--filter", &filter])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        for id in ids.split_whitespace() {
            let _ = std::process::Command::new("docker")
                .args(["rm", "-f", id])
                .output();
        }
        let vols = std::process::Command::new("docker")
            .args(["volume", "ls", "-q", "--filter", &filter])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        for v in vols.split_whitespace() {
            let _ = std::process::Command::new("docker")
                .args(["volume", "rm", "-f", v])
                .output();
        }
    }
}

/// What `docker ps`/`docker volume ls` list for a label filter.
pub(crate) fn listed(what: &[&str], filter: &str) -> Vec<String> {
    let mut args: Vec<&str> = what.to_vec();
    args.extend(["--filter", filter]);
    let out = std::process::Command::new("docker")
        .args(&args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Removes, when this test process exits, the images its tests made: every `tc-test/*` image
/// (the loaded busybox) and every `tc-local/*` tag that was not there when the first Docker test
/// started (in-tree image builds; older tags may be the user's own and stay). Test binaries run
/// one after another, so no other binary's test is using them then.
pub(crate) fn remove_test_images_at_exit() {
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    REGISTERED.call_once(|| {
        let [_, local] = removed_at_exit();
        let _ = TC_LOCAL_BEFORE.set(image_references(&local));
        // SAFETY: `remove_test_images` is a plain function that only runs commands; `atexit`
        // keeps the pointer until exit.
        unsafe {
            nix::libc::atexit(remove_test_images);
        }
    });
}

static TC_LOCAL_BEFORE: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

/// The image references `remove_test_images_at_exit` looks at: `tc-test/*` and `tc-local/*`,
/// narrowed to names starting with `$TC_TEST_IMAGE_SCOPE` when it is set. The cleanup test's
/// child process sets it, so that it removes its own probe images only, not the images the
/// other tests of its parent process are using at that moment.
fn removed_at_exit() -> [String; 2] {
    let scope = std::env::var("TC_TEST_IMAGE_SCOPE").unwrap_or_default();
    [format!("tc-test/{scope}*"), format!("tc-local/{scope}*")]
}

extern "C" fn remove_test_images() {
    let before = TC_LOCAL_BEFORE.get().cloned().unwrap_or_default();
    let [test, local] = removed_at_exit();
    let mut made = image_references(&test);
    made.extend(
        image_references(&local)
            .into_iter()
            .filter(|r| !before.contains(r)),
    );
    if !made.is_empty() {
        let _ = std::process::Command::new("docker")
            .args(["image", "rm"])
            .args(&made)
            .output();
    }
}

/// The `repository:tag` of each image whose reference matches `pattern`.
pub(crate) fn image_references(pattern: &str) -> Vec<String> {
    std::process::Command::new("docker")
        .args(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"])
        .args(["--filter", &format!("reference={pattern}")])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
