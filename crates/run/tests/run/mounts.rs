//! Mounts (worker.md §9.2, §14): archives in every required format made by the test, crafted
//! hostile archives that must not write a byte outside the mount directory, and content
//! fetched from a real HTTP server on 127.0.0.1.

use crate::common;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tc_run::mounts::{
    self, ArchiveFormat, Content, FetchOptions, Fetched, Fetcher, FileFormat, Mount,
};
use tc_run::outcome::Reason;

/// The default cap on what a mount writes.
const MAX: u64 = mounts::DEFAULT_MAX_MOUNT_SIZE;

// ---------------------------------------------------------------------------------------
// Archive makers

/// One tar entry as the test wants it, written with raw header fields so that hostile names
/// get through (the tar crate's builder refuses them, rightly).
enum Ent<'a> {
    File(&'a str, &'a [u8], u32),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
    Char(&'a str),
    Fifo(&'a str),
}

fn tar_bytes(entries: &[Ent<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        let (name, kind, data, mode): (&str, tar::EntryType, &[u8], u32) = match e {
            Ent::File(n, d, m) => (n, tar::EntryType::Regular, d, *m),
            Ent::Dir(n) => (n, tar::EntryType::Directory, b"", 0o755),
            Ent::Symlink(n, t) | Ent::HardLink(n, t) => {
                h.set_link_name_literal(t.as_bytes()).unwrap();
                let k = if matches!(e, Ent::Symlink(..)) {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                };
                (n, k, b"", 0o777)
            }
            Ent::Char(n) => {
                h.set_device_major(1).unwrap();
                h.set_device_minor(3).unwrap();
                (n, tar::EntryType::Char, b"", 0o666)
            }
            Ent::Fifo(n) => (n, tar::EntryType::Fifo, b"", 0o644),
        };
        let raw = &mut h.as_old_mut().name;
        raw.fill(0);
        raw[..name.len()].copy_from_slice(name.as_bytes());
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(data.len() as u64);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

/// The well-formed tree every format carries.
fn good_tar() -> Vec<u8> {
    tar_bytes(&[
        Ent::Dir("./"),
        Ent::File("hello.txt", b"hello\n", 0o644),
        Ent::Dir("bin/"),
        Ent::File("bin/run.sh", b"#!/bin/sh\necho hi\n", 0o755),
        Ent::Symlink("link", "hello.txt"),
        Ent::Symlink("bin/up", "../hello.txt"),
        Ent::HardLink("hard", "hello.txt"),
        Ent::HardLink("./hello.txt", "hello.txt"),
        Ent::Dir("empty"),
    ])
}

fn compress(data: &[u8], format: Option<FileFormat>) -> Vec<u8> {
    let Some(format) = format else {
        return data.to_vec();
    };
    match format {
        FileFormat::Gz => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        FileFormat::Bz2 => {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        FileFormat::Xz => {
            let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        FileFormat::Zst => zstd::encode_all(data, 1).unwrap(),
        FileFormat::Lz4 => {
            let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
    }
}

/// A zip entry: name, content, Unix mode (with the file type bits).
fn zip_bytes(entries: &[(&str, &[u8], u32)]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data, mode) in entries {
        let opts = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(*mode);
        match mode & 0o170_000 {
            0o040_000 => w.add_directory(*name, opts).unwrap(),
            0o120_000 => w
                .add_symlink(*name, std::str::from_utf8(data).unwrap(), opts)
                .unwrap(),
            _ => {
                w.start_file(*name, opts).unwrap();
                w.write_all(data).unwrap();
            }
        }
    }
    let mut bytes = w.finish().unwrap().into_inner();
    // The zip crate keeps only the permission bits; write setuid bits and FIFO types into the
    // central directory ourselves.
    for (name, _, mode) in entries {
        if !matches!(mode & 0o170_000, 0o040_000 | 0o120_000) {
            common::set_zip_mode(&mut bytes, name, *mode);
        }
    }
    bytes
}

fn good_zip() -> Vec<u8> {
    zip_bytes(&[
        ("hello.txt", b"hello\n", 0o100_644),
        ("bin/", b"", 0o040_755),
        ("bin/run.sh", b"#!/bin/sh\necho hi\n", 0o100_755),
        ("link", b"hello.txt", 0o120_777),
        ("bin/up", b"../hello.txt", 0o120_777),
        ("empty/", b"", 0o040_755),
    ])
}

fn archive(format: ArchiveFormat) -> Vec<u8> {
    match format {
        ArchiveFormat::Zip => good_zip(),
        ArchiveFormat::Tar => good_tar(),
        ArchiveFormat::TarGz => compress(&good_tar(), Some(FileFormat::Gz)),
        ArchiveFormat::TarBz2 => compress(&good_tar(), Some(FileFormat::Bz2)),
        ArchiveFormat::TarXz => compress(&good_tar(), Some(FileFormat::Xz)),
        ArchiveFormat::TarZst => compress(&good_tar(), Some(FileFormat::Zst)),
        ArchiveFormat::TarLz4 => compress(&good_tar(), Some(FileFormat::Lz4)),
    }
}

// ---------------------------------------------------------------------------------------
// Scratch space: `<tmp>/outside/` holds a sentinel, `<tmp>/task/` is the task dir and
// `<tmp>/task/m/` the mount directory. After each hostile extraction, nothing but the
// sentinel and the archive may exist outside the mount directory.

struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let s = Scratch {
            dir: tempfile::tempdir().unwrap(),
        };
        fs::create_dir_all(s.path("outside")).unwrap();
        fs::write(s.path("outside/sentinel"), "untouched").unwrap();
        fs::create_dir_all(s.path("task")).unwrap();
        s
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn dest(&self) -> PathBuf {
        self.path("task/m")
    }

    fn write_archive(&self, bytes: &[u8]) -> PathBuf {
        let p = self.path("archive");
        fs::write(&p, bytes).unwrap();
        p
    }

    /// Every path under the scratch dir that is not inside the mount directory.
    fn outside_mount(&self) -> Vec<String> {
        let mut out = Vec::new();
        walk(self.dir.path(), &mut |p| {
            if !p.starts_with(self.dest()) {
                out.push(
                    p.strip_prefix(self.dir.path())
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        });
        out.sort();
        out
    }

    fn assert_nothing_outside(&self) {
        assert_eq!(
            self.outside_mount(),
            ["archive", "outside", "outside/sentinel", "task"],
            "something was written outside the mount directory"
        );
        assert_eq!(
            fs::read_to_string(self.path("outside/sentinel")).unwrap(),
            "untouched"
        );
    }
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        f(&p);
        if fs::symlink_metadata(&p).unwrap().is_dir() {
            walk(&p, f);
        }
    }
}

fn mode(p: &Path) -> u32 {
    fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

fn check_good_tree(dest: &Path, with_hard_link: bool) {
    assert_eq!(
        fs::read_to_string(dest.join("hello.txt")).unwrap(),
        "hello\n"
    );
    assert_eq!(
        fs::read_to_string(dest.join("bin/run.sh")).unwrap(),
        "#!/bin/sh\necho hi\n"
    );
    assert_eq!(mode(&dest.join("bin/run.sh")), 0o755);
    assert_eq!(
        fs::read_link(dest.join("link")).unwrap(),
        Path::new("hello.txt")
    );
    assert_eq!(
        fs::read_link(dest.join("bin/up")).unwrap(),
        Path::new("../hello.txt")
    );
    assert_eq!(fs::read_to_string(dest.join("bin/up")).unwrap(), "hello\n");
    assert!(dest.join("empty").is_dir());
    if with_hard_link {
        let a = fs::metadata(dest.join("hello.txt")).unwrap();
        let b = fs::metadata(dest.join("hard")).unwrap();
        assert_eq!((a.dev(), a.ino()), (b.dev(), b.ino()));
    }
}

// ---------------------------------------------------------------------------------------
// Well-formed archives

#[test]
fn every_required_format_extracts() {
    for format in ArchiveFormat::ALL {
        let s = Scratch::new();
        let a = s.write_archive(&archive(format));
        mounts::extract(&a, format, &s.dest(), MAX).unwrap_or_else(|e| panic!("{format}: {e}"));
        check_good_tree(&s.dest(), format != ArchiveFormat::Zip);
        let tar = fs::read_dir(s.dest()).unwrap().count();
        assert_eq!(
            tar,
            if format == ArchiveFormat::Zip { 4 } else { 5 },
            "{format}"
        );
    }
}

#[test]
fn tar_keeps_modification_times() {
    let s = Scratch::new();
    let a = s.write_archive(&good_tar());
    mounts::extract(&a, ArchiveFormat::Tar, &s.dest(), MAX).unwrap();
    assert_eq!(
        fs::metadata(s.dest().join("hello.txt")).unwrap().mtime(),
        1_700_000_000
    );
}

#[test]
fn concatenated_streams_extract_whole() {
    // pigz, pbzip2 and `xz -T` write several members; tar.zst and tar.lz4 may hold several frames.
    let tar = good_tar();
    let (first, second) = tar.split_at(1024);
    for (format, c) in [
        (ArchiveFormat::TarGz, FileFormat::Gz),
        (ArchiveFormat::TarBz2, FileFormat::Bz2),
        (ArchiveFormat::TarXz, FileFormat::Xz),
        (ArchiveFormat::TarZst, FileFormat::Zst),
        (ArchiveFormat::TarLz4, FileFormat::Lz4),
    ] {
        let s = Scratch::new();
        let mut bytes = compress(first, Some(c));
        bytes.extend(compress(second, Some(c)));
        let a = s.write_archive(&bytes);
        mounts::extract(&a, format, &s.dest(), MAX).unwrap_or_else(|e| panic!("{format}: {e}"));
        check_good_tree(&s.dest(), true);
    }
}

#[test]
fn archives_made_by_system_tools_extract() {
    let have = |tool: &str| {
        std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("tar") {
        eprintln!("skipped: no `tar` on PATH");
        return;
    }
    let s = Scratch::new();
    let src = s.path("src");
    let long = "d".repeat(120);
    fs::create_dir_all(src.join(&long)).unwrap();
    fs::write(src.join(&long).join("deep.txt"), "deep").unwrap();
    fs::write(src.join("x.txt"), "x").unwrap();
    std::os::unix::fs::symlink("x.txt", src.join("lx")).unwrap();
    for (flag, format) in [
        ("-cf", ArchiveFormat::Tar),
        ("-czf", ArchiveFormat::TarGz),
        ("-cjf", ArchiveFormat::TarBz2),
        ("-cJf", ArchiveFormat::TarXz),
    ] {
        let out = s.path(&format!("sys.{format}"));
        let ok = std::process::Command::new("tar")
            .args(["--format=pax", flag])
            .arg(&out)
            .arg("-C")
            .arg(&src)
            .arg(".")
            .status()
            .unwrap()
            .success();
        assert!(ok, "tar {flag}");
        let dest = s.path(&format!("out-{format}"));
        mounts::extract(&out, format, &dest, MAX).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert_eq!(
            fs::read_to_string(dest.join(&long).join("deep.txt")).unwrap(),
            "deep"
        );
        assert_eq!(fs::read_link(dest.join("lx")).unwrap(), Path::new("x.txt"));
    }
    if have("zip") {
        let out = s.path("sys.zip");
        let ok = std::process::Command::new("zip")
            .args(["-q", "-r", "-y"])
            .arg(&out)
            .arg(".")
            .current_dir(&src)
            .status()
            .unwrap()
            .success();
        assert!(ok, "zip");
        let dest = s.path("out-zip");
        mounts::extract(&out, ArchiveFormat::Zip, &dest, MAX).unwrap();
        assert_eq!(
            fs::read_to_string(dest.join(&long).join("deep.txt")).unwrap(),
            "deep"
        );
        assert_eq!(fs::read_link(dest.join("lx")).unwrap(), Path::new("x.txt"));
    }
}

#[test]
fn a_wrong_format_or_a_damaged_archive_is_malformed() {
    let s = Scratch::new();
    let a = s.write_archive(&archive(ArchiveFormat::TarGz));
    let e = mounts::extract(&a, ArchiveFormat::TarXz, &s.dest(), MAX).unwrap_err();
    assert_eq!(e.reason, Reason::MalformedPayload);
    assert!(e.message.contains("is `format` wrong?"), "{}", e.message);

    let mut cut = archive(ArchiveFormat::TarZst);
    cut.truncate(cut.len() / 2);
    let a = s.write_archive(&cut);
    let e = mounts::extract(&a, ArchiveFormat::TarZst, &s.path("task/m2"), MAX).unwrap_err();
    assert_eq!(e.reason, Reason::MalformedPayload, "{e}");

    // A plain tar cut inside a file's data.
    let tar = good_tar();
    let a = s.write_archive(&tar[..1024 + 3]);
    let e = mounts::extract(&a, ArchiveFormat::Tar, &s.path("task/m4"), MAX).unwrap_err();
    assert_eq!(e.reason, Reason::MalformedPayload, "{e}");
    assert!(e.message.contains("entry `hello.txt`"), "{}", e.message);

    let a = s.write_archive(b"not a zip at all");
    let e = mounts::extract(&a, ArchiveFormat::Zip, &s.path("task/m3"), MAX).unwrap_err();
    assert_eq!(e.reason, Reason::MalformedPayload, "{e}");
}

// ---------------------------------------------------------------------------------------
// Hostile archives

/// Extracts a hostile tar (in every tar format) and checks that it is refused, naming
/// `entry`, with nothing written outside the mount directory.
fn refused_tar(entries: &[Ent<'_>], entry: &str, why: &str) {
    let tar = tar_bytes(entries);
    for format in ArchiveFormat::ALL {
        let Some(bytes) = (match format {
            ArchiveFormat::Zip => None,
            ArchiveFormat::Tar => Some(tar.clone()),
            ArchiveFormat::TarGz => Some(compress(&tar, Some(FileFormat::Gz))),
            ArchiveFormat::TarBz2 => Some(compress(&tar, Some(FileFormat::Bz2))),
            ArchiveFormat::TarXz => Some(compress(&tar, Some(FileFormat::Xz))),
            ArchiveFormat::TarZst => Some(compress(&tar, Some(FileFormat::Zst))),
            ArchiveFormat::TarLz4 => Some(compress(&tar, Some(FileFormat::Lz4))),
        }) else {
            continue;
        };
        let s = Scratch::new();
        let a = s.write_archive(&bytes);
        let e = mounts::extract(&a, format, &s.dest(), MAX).unwrap_err();
        assert_eq!(e.reason, Reason::MalformedPayload, "{format}: {e}");
        assert!(
            e.message.contains(&format!("refused entry `{entry}`")) && e.message.contains(why),
            "{format}: want entry `{entry}` and `{why}` in: {}",
            e.message
        );
        s.assert_nothing_outside();
    }
}

#[test]
fn tar_parent_components_are_refused() {
    refused_tar(
        &[Ent::File("../../outside/x", b"evil", 0o644)],
        "../../outside/x",
        "`..`",
    );
    refused_tar(
        &[Ent::File("ok/../../x", b"evil", 0o644)],
        "ok/../../x",
        "`..`",
    );
    refused_tar(&[Ent::Dir("../newdir")], "../newdir", "`..`");
}

#[test]
fn tar_absolute_names_are_refused() {
    let s = Scratch::new();
    let abs = s.path("outside/abs");
    refused_tar(
        &[Ent::File(abs.to_str().unwrap(), b"evil", 0o644)],
        abs.to_str().unwrap(),
        "absolute",
    );
    refused_tar(
        &[Ent::File("/etc/passwd", b"evil", 0o644)],
        "/etc/passwd",
        "absolute",
    );
}

#[test]
fn symlink_to_etc_then_a_file_through_it_is_refused() {
    refused_tar(
        &[
            Ent::Symlink("link", "/etc"),
            Ent::File("link/passwd", b"evil", 0o644),
        ],
        "link",
        "absolute path `/etc`",
    );
    refused_tar(
        &[
            Ent::Symlink("up", "../../outside"),
            Ent::File("up/x", b"evil", 0o644),
        ],
        "up",
        "leaves the mount directory",
    );
}

#[test]
fn nothing_is_written_through_a_symlink_even_an_inside_one() {
    refused_tar(
        &[
            Ent::Dir("sub"),
            Ent::Symlink("link", "sub"),
            Ent::File("link/x", b"evil", 0o644),
        ],
        "link/x",
        "goes through `link`, a symlink",
    );
}

#[test]
fn a_symlink_climbing_through_another_symlink_is_stored_harmless() {
    // `a/b/s` → the mount root; `l` → `a/b/s/../../outside/sentinel` would resolve, through
    // `s`, to the sentinel two levels above the mount directory. tc stores `l` →
    // `a/outside/sentinel` instead: the same text taken lexically, and inside.
    let s = Scratch::new();
    let tar = tar_bytes(&[
        Ent::Dir("a/b"),
        Ent::Symlink("a/b/s", "../.."),
        Ent::Symlink("l", "a/b/s/../../outside/sentinel"),
    ]);
    let a = s.write_archive(&tar);
    mounts::extract(&a, ArchiveFormat::Tar, &s.dest(), MAX).unwrap();
    assert_eq!(
        fs::read_link(s.dest().join("l")).unwrap(),
        Path::new("a/outside/sentinel")
    );
    assert!(
        fs::metadata(s.dest().join("l")).is_err(),
        "dangling, inside"
    );
    assert_eq!(
        fs::canonicalize(s.dest().join("a/b/s")).unwrap(),
        fs::canonicalize(s.dest()).unwrap()
    );
    s.assert_nothing_outside();
}

#[test]
fn a_later_file_replaces_a_symlink_instead_of_writing_through_it() {
    let s = Scratch::new();
    let tar = tar_bytes(&[
        Ent::File("target", b"original", 0o644),
        Ent::Symlink("s", "target"),
        Ent::File("s", b"replaced", 0o644),
    ]);
    let a = s.write_archive(&tar);
    mounts::extract(&a, ArchiveFormat::Tar, &s.dest(), MAX).unwrap();
    assert_eq!(
        fs::read_to_string(s.dest().join("target")).unwrap(),
        "original"
    );
    assert!(fs::symlink_metadata(s.dest().join("s")).unwrap().is_file());
    assert_eq!(fs::read_to_string(s.dest().join("s")).unwrap(), "replaced");
}

#[test]
fn escaping_hard_links_are_refused() {
    refused_tar(
        &[Ent::HardLink("h", "../../outside/sentinel")],
        "h",
        "hard link to `../../outside/sentinel`, which leaves the mount directory",
    );
    refused_tar(
        &[Ent::HardLink("h", "/etc/passwd")],
        "h",
        "which leaves the mount directory",
    );
    // Through a symlink that the archive made itself.
    refused_tar(
        &[
            Ent::Dir("sub"),
            Ent::File("sub/f", b"x", 0o644),
            Ent::Symlink("ln", "sub"),
            Ent::HardLink("h", "ln/f"),
        ],
        "h",
        "goes through the symlink `ln`",
    );
    // To a symlink, whose relative target would mean something else at the link's place.
    refused_tar(
        &[
            Ent::Dir("a/b"),
            Ent::Symlink("a/b/s", "../../x"),
            Ent::HardLink("h", "a/b/s"),
        ],
        "h",
        "which is a symlink",
    );
    refused_tar(&[Ent::HardLink("h", "missing")], "h", "not a regular file");
}

#[test]
fn device_nodes_and_fifos_are_skipped_and_setuid_is_dropped() {
    let s = Scratch::new();
    let tar = tar_bytes(&[
        Ent::Char("null"),
        Ent::Fifo("pipe"),
        Ent::File("suid", b"#!/bin/sh\n", 0o4755),
        Ent::File("sgid", b"x", 0o2750),
        Ent::Dir("sticky"),
    ]);
    let a = s.write_archive(&tar);
    mounts::extract(&a, ArchiveFormat::Tar, &s.dest(), MAX).unwrap();
    assert!(!s.dest().join("null").exists());
    assert!(!s.dest().join("pipe").exists());
    assert_eq!(mode(&s.dest().join("suid")), 0o755);
    assert_eq!(mode(&s.dest().join("sgid")), 0o750);
    s.assert_nothing_outside();
}

#[test]
fn a_read_only_directory_still_receives_its_entries() {
    let s = Scratch::new();
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_mode(0o555);
    h.set_size(0);
    tar.append_data(&mut h, "ro/", &[][..]).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o444);
    h.set_size(2);
    tar.append_data(&mut h, "ro/f", &b"ok"[..]).unwrap();
    let a = s.write_archive(&tar.into_inner().unwrap());
    mounts::extract(&a, ArchiveFormat::Tar, &s.dest(), MAX).unwrap();
    assert_eq!(fs::read_to_string(s.dest().join("ro/f")).unwrap(), "ok");
    // Owner rwx is kept, so the task dir can be removed afterwards.
    assert_eq!(mode(&s.dest().join("ro")), 0o755);
}

fn refused_zip(entries: &[(&str, &[u8], u32)], entry: &str, why: &str) {
    let s = Scratch::new();
    let a = s.write_archive(&zip_bytes(entries));
    let e = mounts::extract(&a, ArchiveFormat::Zip, &s.dest(), MAX).unwrap_err();
    assert_eq!(e.reason, Reason::MalformedPayload, "{e}");
    assert!(
        e.message.contains(&format!("refused entry `{entry}`")) && e.message.contains(why),
        "want entry `{entry}` and `{why}` in: {}",
        e.message
    );
    s.assert_nothing_outside();
}

#[test]
fn hostile_zips_are_refused() {
    refused_zip(
        &[("../../outside/x", b"evil", 0o100_644)],
        "../../outside/x",
        "`..`",
    );
    refused_zip(
        &[("..\\..\\outside\\x", b"evil", 0o100_644)],
        "..\\..\\outside\\x",
        "`..`",
    );
    refused_zip(
        &[("/tmp/evil", b"evil", 0o100_644)],
        "/tmp/evil",
        "absolute",
    );
    refused_zip(
        &[
            ("ln", b"/etc", 0o120_777),
            ("ln/passwd", b"evil", 0o100_644),
        ],
        "ln",
        "absolute path `/etc`",
    );
    refused_zip(
        &[
            ("sub/", b"", 0o040_755),
            ("ln", b"sub", 0o120_777),
            ("ln/x", b"evil", 0o100_644),
        ],
        "ln/x",
        "goes through `ln`",
    );
}

#[test]
fn zip_setuid_is_dropped_and_fifos_skipped() {
    let s = Scratch::new();
    let a = s.write_archive(&zip_bytes(&[
        ("suid", b"x", 0o104_755),
        ("fifo", b"", 0o010_644),
    ]));
    mounts::extract(&a, ArchiveFormat::Zip, &s.dest(), MAX).unwrap();
    assert_eq!(mode(&s.dest().join("suid")), 0o755);
    assert!(!s.dest().join("fifo").exists());
}

// ---------------------------------------------------------------------------------------
// apply

fn parse_one(json: serde_json::Value) -> Mount {
    mounts::parse(&[json]).unwrap().remove(0)
}

#[test]
fn file_mounts_are_decompressed_in_every_format() {
    let s = Scratch::new();
    let task = s.path("task");
    let text = b"some content\n".repeat(100);
    for format in FileFormat::ALL {
        let m = parse_one(serde_json::json!({
            "file": format!("deep/dir/f.{format}"), "content": {"raw": ""}, "format": format.as_str()
        }));
        let fetched = Fetched::Bytes(compress(&text, Some(format)));
        mounts::apply(&m, &fetched, &task, MAX).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert_eq!(
            fs::read(task.join(format!("deep/dir/f.{format}"))).unwrap(),
            text
        );
    }
    let plain = parse_one(serde_json::json!({"file": "plain.txt", "content": {"raw": "héllo"}}));
    mounts::apply(&plain, &Fetched::Bytes("héllo".into()), &task, MAX).unwrap();
    assert_eq!(fs::read_to_string(task.join("plain.txt")).unwrap(), "héllo");

    let bad = parse_one(serde_json::json!({"file": "bad", "content": {"raw": ""}, "format": "gz"}));
    let e = mounts::apply(&bad, &Fetched::Bytes(b"plain text".to_vec()), &task, MAX).unwrap_err();
    assert_eq!(e.reason, Reason::MalformedPayload);
    assert!(e.message.contains("not valid gz data"), "{}", e.message);
}

#[test]
fn directory_mounts_extract_and_later_mounts_nest_without_following_symlinks() {
    let s = Scratch::new();
    let task = s.path("task");
    let dir = parse_one(serde_json::json!({
        "directory": "tools", "content": {"raw": ""}, "format": "tar.lz4"
    }));
    let fetched = Fetched::Bytes(archive(ArchiveFormat::TarLz4));
    mounts::apply(&dir, &fetched, &task, MAX).unwrap();
    check_good_tree(&task.join("tools"), true);

    let nested = parse_one(serde_json::json!({"file": "tools/bin/extra", "content": {"raw": "x"}}));
    mounts::apply(&nested, &Fetched::Bytes(b"x".to_vec()), &task, MAX).unwrap();
    assert_eq!(
        fs::read_to_string(task.join("tools/bin/extra")).unwrap(),
        "x"
    );

    // `tools/link` is a symlink the archive made: a mount through it is refused.
    let through = parse_one(serde_json::json!({"file": "tools/link/x", "content": {"raw": "x"}}));
    let e = mounts::apply(&through, &Fetched::Bytes(b"x".to_vec()), &task, MAX).unwrap_err();
    assert_eq!(e.reason, Reason::MalformedPayload);
    assert!(
        e.message
            .contains("file mount `tools/link/x`: it needs `tools/link` to be a directory")
            || e.message.contains("goes through `tools/link`"),
        "{}",
        e.message
    );
    // A file mount onto the symlink itself replaces the link, not its target.
    let onto = parse_one(serde_json::json!({"file": "tools/link", "content": {"raw": "new"}}));
    mounts::apply(&onto, &Fetched::Bytes(b"new".to_vec()), &task, MAX).unwrap();
    assert_eq!(
        fs::read_to_string(task.join("tools/hello.txt")).unwrap(),
        "hello\n"
    );

    // A refused entry names the mount and the entry.
    let hostile = parse_one(serde_json::json!({
        "directory": "evil", "content": {"raw": ""}, "format": "tar"
    }));
    let bytes = tar_bytes(&[Ent::File("../x", b"evil", 0o644)]);
    let e = mounts::apply(&hostile, &Fetched::Bytes(bytes), &task, MAX).unwrap_err();
    assert!(
        e.message
            .starts_with("directory mount `evil`: refused entry `../x` of the tar archive"),
        "{}",
        e.message
    );
    assert!(!task.join("x").exists());
}

#[test]
fn a_mount_that_expands_past_the_cap_is_malformed_and_stops_there() {
    const CAP: u64 = 1 << 20;
    let s = Scratch::new();
    let task = s.path("task");
    // 2 MiB from a few kilobytes of gz.
    let gz = compress(&vec![0u8; 2 << 20], Some(FileFormat::Gz));
    assert!(gz.len() < 16 * 1024, "{}", gz.len());
    let big = parse_one(serde_json::json!({
        "file": "big.bin", "content": {"raw": ""}, "format": "gz"
    }));
    let e = mounts::apply(&big, &Fetched::Bytes(gz.clone()), &task, CAP).unwrap_err();
    assert_eq!(e.reason, Reason::MalformedPayload);
    assert_eq!(
        e.message,
        "file mount `big.bin`: it expands to more than 1 MiB, the most a mount may write (--max-mount-size)"
    );
    assert!(fs::metadata(task.join("big.bin")).unwrap().len() <= CAP);
    // Under a larger cap the same content is written whole.
    let fits = parse_one(serde_json::json!({
        "file": "fits.bin", "content": {"raw": ""}, "format": "gz"
    }));
    mounts::apply(&fits, &Fetched::Bytes(gz), &task, 2 << 20).unwrap();
    assert_eq!(fs::metadata(task.join("fits.bin")).unwrap().len(), 2 << 20);

    // In archives the files add up: the third 400 KiB file goes over. Tar declares its sizes
    // (refused before the file is written); zip's deflated data is counted as it is written.
    let part = vec![7u8; 400 << 10];
    let tar = tar_bytes(&[
        Ent::File("a", &part, 0o644),
        Ent::File("b", &part, 0o644),
        Ent::File("c", &part, 0o644),
    ]);
    let zip = zip_bytes(&[
        ("a", &part, 0o644),
        ("b", &part, 0o644),
        ("c", &part, 0o644),
    ]);
    for (format, bytes) in [
        (ArchiveFormat::TarGz, compress(&tar, Some(FileFormat::Gz))),
        (ArchiveFormat::TarZst, compress(&tar, Some(FileFormat::Zst))),
        (ArchiveFormat::Zip, zip),
    ] {
        let dest = s.path(&format!("task/{format}"));
        let a = s.write_archive(&bytes);
        let e = mounts::extract(&a, format, &dest, CAP).unwrap_err();
        assert_eq!(e.reason, Reason::MalformedPayload, "{format}");
        assert!(
            e.message.starts_with(&format!(
                "refused entry `c` of the {format} archive: it expands to more than 1 MiB"
            )),
            "{format}: {}",
            e.message
        );
        let written: u64 = ["a", "b", "c"]
            .iter()
            .filter_map(|f| fs::metadata(dest.join(f)).ok())
            .map(|m| m.len())
            .sum();
        assert!(written <= CAP, "{format}: {written} bytes written");
        mounts::extract(
            &a,
            format,
            &s.path(&format!("task/{format}-fits")),
            3 * (400 << 10),
        )
        .unwrap_or_else(|e| panic!("{format}: {e}"));
    }
}

// ---------------------------------------------------------------------------------------
// A real HTTP server on 127.0.0.1 with canned answers

#[derive(Clone)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Never answer (for timeouts).
    hang: bool,
}

fn ok(body: &[u8]) -> Answer {
    Answer {
        status: 200,
        headers: vec![],
        body: body.to_vec(),
        hang: false,
    }
}

fn status(code: u16, body: &str) -> Answer {
    Answer {
        status: code,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
        hang: false,
    }
}

fn see_other(location: &str) -> Answer {
    Answer {
        status: 303,
        headers: vec![("Location".into(), location.into())],
        body: br#"{"storageType":"s3","url":"elsewhere"}"#.to_vec(),
        hang: false,
    }
}

type Route = Box<dyn Fn(usize) -> Answer + Send + Sync>;

struct Server {
    base: String,
    /// Path → the raw requests to it.
    requests: Arc<Mutex<HashMap<String, Vec<String>>>>,
}

impl Server {
    /// Serves `routes` (path → answer by the how-many-th request to it, from 0); any other
    /// path is a 404.
    fn start(routes: Vec<(&str, Route)>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes: Arc<HashMap<String, Route>> =
            Arc::new(routes.into_iter().map(|(p, r)| (p.to_owned(), r)).collect());
        let requests: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let routes = routes.clone();
                let seen = seen.clone();
                std::thread::spawn(move || handle(stream, &routes, &seen));
            }
        });
        Server { base, requests }
    }

    fn hits(&self, path: &str) -> usize {
        self.requests.lock().unwrap().get(path).map_or(0, Vec::len)
    }

    fn all_requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .values()
            .flatten()
            .cloned()
            .collect()
    }
}

fn handle(
    mut stream: TcpStream,
    routes: &HashMap<String, Route>,
    seen: &Mutex<HashMap<String, Vec<String>>>,
) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&request).into_owned();
    let path = text.split(' ').nth(1).unwrap_or("").to_owned();
    let count = {
        let mut seen = seen.lock().unwrap();
        let list = seen.entry(path.clone()).or_default();
        list.push(text);
        list.len() - 1
    };
    let answer = match routes.get(&path) {
        Some(route) => route(count),
        None => status(
            404,
            r#"{"code":"ResourceNotFound","message":"no such thing"}"#,
        ),
    };
    if answer.hang {
        std::thread::sleep(Duration::from_secs(3));
        return;
    }
    let mut head = format!(
        "HTTP/1.1 {} Canned\r\nContent-Length: {}\r\nConnection: close\r\n",
        answer.status,
        answer.body.len()
    );
    for (k, v) in &answer.headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&answer.body);
}

fn route(f: impl Fn(usize) -> Answer + Send + Sync + 'static) -> Route {
    Box::new(f)
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn quick(downloads: &Path, root: &str) -> Fetcher {
    Fetcher::with_options(
        downloads,
        root,
        FetchOptions {
            connect_timeout: Duration::from_secs(2),
            read_timeout: Duration::from_millis(300),
            retry_delays: vec![Duration::from_millis(10), Duration::from_millis(10)],
        },
    )
    .unwrap()
}

fn url(server: &Server, path: &str, sha256: Option<String>) -> Content {
    Content::Url {
        url: format!("{}{path}", server.base),
        sha256,
    }
}

fn read_all(f: &Fetched) -> Vec<u8> {
    let mut out = Vec::new();
    f.reader().unwrap().read_to_end(&mut out).unwrap();
    out
}

#[tokio::test]
async fn inline_content_needs_no_network() {
    let s = Scratch::new();
    let downloads = s.path("downloads");
    let raw = mounts::fetch(&Content::Raw("héllo".into()), &downloads, "")
        .await
        .unwrap();
    assert_eq!(read_all(&raw), "héllo".as_bytes());
    let b = mounts::fetch(&Content::Base64("aGk=".into()), &downloads, "")
        .await
        .unwrap();
    assert_eq!(read_all(&b), b"hi");
    let e = mounts::fetch(&Content::Base64("**".into()), &downloads, "")
        .await
        .unwrap_err();
    assert_eq!(e.reason, Reason::MalformedPayload);
    assert!(e.message.contains("not valid base64"), "{}", e.message);
    assert!(!downloads.exists());
}

#[tokio::test]
async fn a_download_with_sha256_is_checked_and_cached() {
    let body = archive(ArchiveFormat::TarGz);
    let b = body.clone();
    let server = Server::start(vec![("/a.tar.gz", route(move |_| ok(&b)))]);
    let s = Scratch::new();
    let downloads = s.path("downloads");
    let content = url(&server, "/a.tar.gz", Some(sha(&body)));

    let first = mounts::fetch(&content, &downloads, "").await.unwrap();
    assert_eq!(first.path(), Some(downloads.join(sha(&body)).as_path()));
    assert_eq!(read_all(&first), body);
    let second = mounts::fetch(&content, &downloads, "").await.unwrap();
    assert_eq!(read_all(&second), body);
    assert_eq!(
        server.hits("/a.tar.gz"),
        1,
        "the second fetch is a cache hit"
    );

    // End to end: the cached download extracts as a directory mount.
    let m = Mount::Directory {
        directory: "m".into(),
        content,
        format: ArchiveFormat::TarGz,
    };
    mounts::apply(&m, &second, &s.path("task"), MAX).unwrap();
    check_good_tree(&s.dest(), true);

    // A damaged cache entry is noticed and fetched again.
    fs::write(downloads.join(sha(&body)), "garbage").unwrap();
    let third = mounts::fetch(&m.content().unwrap().clone(), &downloads, "")
        .await
        .unwrap();
    assert_eq!(read_all(&third), body);
    assert_eq!(server.hits("/a.tar.gz"), 2);
}

#[tokio::test]
async fn a_sha256_mismatch_is_malformed_and_names_both_hashes() {
    let server = Server::start(vec![("/f", route(|_| ok(b"actual bytes")))]);
    let s = Scratch::new();
    let downloads = s.path("downloads");
    let want = sha(b"expected bytes");
    let e = mounts::fetch(&url(&server, "/f", Some(want.clone())), &downloads, "")
        .await
        .unwrap_err();
    assert_eq!(e.reason, Reason::MalformedPayload);
    assert!(e.message.contains(&want), "{}", e.message);
    assert!(e.message.contains(&sha(b"actual bytes")), "{}", e.message);
    assert_eq!(server.hits("/f"), 1, "a mismatch is not retried");
    assert_eq!(fs::read_dir(&downloads).unwrap().count(), 0, "nothing kept");
}

#[tokio::test]
async fn a_url_without_sha256_is_fetched_every_time_and_not_kept() {
    let server = Server::start(vec![("/f", route(|n| ok(format!("body {n}").as_bytes())))]);
    let s = Scratch::new();
    let downloads = s.path("downloads");
    let content = url(&server, "/f", None);
    let first = mounts::fetch(&content, &downloads, "").await.unwrap();
    let second = mounts::fetch(&content, &downloads, "").await.unwrap();
    assert_eq!(read_all(&first), b"body 0");
    assert_eq!(read_all(&second), b"body 1");
    assert_eq!(server.hits("/f"), 2);
    drop((first, second));
    assert_eq!(fs::read_dir(&downloads).unwrap().count(), 0);
}

#[tokio::test]
async fn not_found_is_malformed_without_retries() {
    let server = Server::start(vec![]);
    let s = Scratch::new();
    let e = mounts::fetch(&url(&server, "/missing", None), &s.path("d"), "")
        .await
        .unwrap_err();
    assert_eq!(e.reason, Reason::MalformedPayload);
    assert!(
        e.message.contains("does not exist (HTTP 404"),
        "{}",
        e.message
    );
    assert_eq!(server.hits("/missing"), 1);
}

#[tokio::test]
async fn a_server_error_is_retried_after_a_second() {
    let server = Server::start(vec![(
        "/flaky",
        route(|n| {
            if n == 0 {
                status(500, "oops")
            } else {
                ok(b"fine")
            }
        }),
    )]);
    let s = Scratch::new();
    let started = std::time::Instant::now();
    let got = mounts::fetch(&url(&server, "/flaky", None), &s.path("d"), "")
        .await
        .unwrap();
    assert_eq!(read_all(&got), b"fine");
    assert_eq!(server.hits("/flaky"), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited 1 s"
    );
}

#[tokio::test]
async fn three_failures_are_resource_unavailable() {
    let server = Server::start(vec![("/down", route(|_| status(503, "busy")))]);
    let s = Scratch::new();
    let f = quick(&s.path("d"), "");
    let e = f.fetch(&url(&server, "/down", None)).await.unwrap_err();
    assert_eq!(e.reason, Reason::ResourceUnavailable);
    assert!(e.message.contains("after 3 attempts"), "{}", e.message);
    assert!(e.message.contains("503"), "{}", e.message);
    assert_eq!(server.hits("/down"), 3);

    // Nobody listening.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = f
        .fetch(&Content::Url {
            url: format!("http://127.0.0.1:{port}/x"),
            sha256: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.reason, Reason::ResourceUnavailable);
    assert!(e.message.contains("cannot connect"), "{}", e.message);

    // A server that never answers.
    let hang = Server::start(vec![(
        "/slow",
        route(|_| Answer {
            hang: true,
            ..ok(b"")
        }),
    )]);
    let e = f.fetch(&url(&hang, "/slow", None)).await.unwrap_err();
    assert_eq!(e.reason, Reason::ResourceUnavailable);
    assert!(e.message.contains("timed out"), "{}", e.message);
    assert_eq!(hang.hits("/slow"), 3);
}

const TASK: &str = "fN1lzX8ESqmWvM3zm0VpXQ";

#[tokio::test]
async fn artifact_content_follows_the_queue_redirect_without_credentials() {
    let body = b"artifact bytes".to_vec();
    let b = body.clone();
    let server = Server::start(vec![
        (
            "/api/queue/v1/task/fN1lzX8ESqmWvM3zm0VpXQ/artifacts/public%2Fbuild%2Fa.bin",
            route(|_| see_other("/blobs/a.bin")),
        ),
        ("/blobs/a.bin", route(move |_| ok(&b))),
        (
            "/api/index/v1/task/project.x.latest",
            route(|_| {
                ok(br#"{"namespace":"project.x.latest","taskId":"fN1lzX8ESqmWvM3zm0VpXQ","rank":0,"data":{},"expires":"2100-01-01T00:00:00.000Z"}"#)
            }),
        ),
        (
            "/api/queue/v1/task/fN1lzX8ESqmWvM3zm0VpXQ/artifacts/public%2Ferror",
            route(|_| {
                status(
                    424,
                    r#"{"reason":"file-missing-on-worker","message":"gone"}"#,
                )
            }),
        ),
    ]);
    let s = Scratch::new();
    let f = quick(&s.path("d"), &format!("{}/", server.base));

    let got = f
        .fetch(&Content::Artifact {
            task_id: TASK.into(),
            artifact: "public/build/a.bin".into(),
            sha256: Some(sha(&body)),
        })
        .await
        .unwrap();
    assert_eq!(read_all(&got), body);
    assert_eq!(server.hits("/blobs/a.bin"), 1);

    let got = f
        .fetch(&Content::Indexed {
            namespace: "project.x.latest".into(),
            artifact: "public/build/a.bin".into(),
        })
        .await
        .unwrap();
    assert_eq!(read_all(&got), body);
    assert_eq!(server.hits("/api/index/v1/task/project.x.latest"), 1);
    assert_eq!(
        server.hits("/blobs/a.bin"),
        2,
        "indexed content has no sha256"
    );

    for request in server.all_requests() {
        assert!(
            !request.to_ascii_lowercase().contains("authorization"),
            "{request}"
        );
    }

    let e = f
        .fetch(&Content::Artifact {
            task_id: TASK.into(),
            artifact: "public/error".into(),
            sha256: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.reason, Reason::MalformedPayload);
    assert!(
        e.message
            .contains("is an error artifact (file-missing-on-worker: gone)"),
        "{}",
        e.message
    );

    let e = f
        .fetch(&Content::Indexed {
            namespace: "project.nothing".into(),
            artifact: "public/x".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.reason, Reason::MalformedPayload);
    assert!(
        e.message
            .contains("the index entry `project.nothing` does not exist"),
        "{}",
        e.message
    );

    let e = quick(&s.path("d"), "")
        .fetch(&Content::Artifact {
            task_id: TASK.into(),
            artifact: "public/x".into(),
            sha256: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.reason, Reason::MalformedPayload);
    assert!(e.message.contains("TASKCLUSTER_ROOT_URL"), "{}", e.message);
}
