//! What `payload.mounts` asks for, read and checked in one walk that lists every problem as
//! `payload/mounts/<i>/<field>: <problem>` (worker.md §3.4, §9.2).

use base64::Engine as _;
use serde_json::{Map, Value};

use tc_taskdef::definition::kind;

/// The archive formats of a directory mount (or a cache preload) that tc extracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArchiveFormat {
    Tar,
    TarGz,
    TarBz2,
    TarXz,
    TarZst,
    TarLz4,
    Zip,
}

impl ArchiveFormat {
    pub const ALL: [ArchiveFormat; 7] = [
        ArchiveFormat::Tar,
        ArchiveFormat::TarGz,
        ArchiveFormat::TarBz2,
        ArchiveFormat::TarXz,
        ArchiveFormat::TarZst,
        ArchiveFormat::TarLz4,
        ArchiveFormat::Zip,
    ];

    /// The payload's name for the format.
    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveFormat::Tar => "tar",
            ArchiveFormat::TarGz => "tar.gz",
            ArchiveFormat::TarBz2 => "tar.bz2",
            ArchiveFormat::TarXz => "tar.xz",
            ArchiveFormat::TarZst => "tar.zst",
            ArchiveFormat::TarLz4 => "tar.lz4",
            ArchiveFormat::Zip => "zip",
        }
    }

    pub fn from_name(name: &str) -> Option<ArchiveFormat> {
        ArchiveFormat::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// The compression around the tar stream (`None` for plain tar and for zip).
    pub(super) fn compression(self) -> Option<FileFormat> {
        match self {
            ArchiveFormat::Tar | ArchiveFormat::Zip => None,
            ArchiveFormat::TarGz => Some(FileFormat::Gz),
            ArchiveFormat::TarBz2 => Some(FileFormat::Bz2),
            ArchiveFormat::TarXz => Some(FileFormat::Xz),
            ArchiveFormat::TarZst => Some(FileFormat::Zst),
            ArchiveFormat::TarLz4 => Some(FileFormat::Lz4),
        }
    }
}

impl std::fmt::Display for ArchiveFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Archive formats that generic-worker accepts and tc does not.
const UNSUPPORTED_ARCHIVES: &[&str] = &[
    "7z", "rar", "tar.br", "tar.lz", "tar.mz", "tar.sz", "tar.zz",
];

/// The compression of a file mount's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileFormat {
    Gz,
    Bz2,
    Xz,
    Zst,
    Lz4,
}

impl FileFormat {
    pub const ALL: [FileFormat; 5] = [
        FileFormat::Gz,
        FileFormat::Bz2,
        FileFormat::Xz,
        FileFormat::Zst,
        FileFormat::Lz4,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Gz => "gz",
            FileFormat::Bz2 => "bz2",
            FileFormat::Xz => "xz",
            FileFormat::Zst => "zst",
            FileFormat::Lz4 => "lz4",
        }
    }

    pub fn from_name(name: &str) -> Option<FileFormat> {
        FileFormat::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

impl std::fmt::Display for FileFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// File compressions that generic-worker accepts and tc does not.
const UNSUPPORTED_FILES: &[&str] = &["br", "lz", "mz", "sz", "zz"];

/// Where a mount's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// `{raw}`: the text itself, written as UTF-8.
    Raw(String),
    /// `{base64}`: checked to decode when parsed.
    Base64(String),
    /// `{url, sha256?}`.
    Url { url: String, sha256: Option<String> },
    /// `{taskId, artifact, sha256?}`: the artifact of the task's latest run.
    Artifact {
        task_id: String,
        artifact: String,
        sha256: Option<String>,
    },
    /// `{namespace, artifact}`: the index names the task, then as `Artifact`.
    Indexed { namespace: String, artifact: String },
}

impl Content {
    /// The expected sha256 of the downloaded bytes, if the payload gives one.
    pub fn sha256(&self) -> Option<&str> {
        match self {
            Content::Url { sha256, .. } | Content::Artifact { sha256, .. } => sha256.as_deref(),
            _ => None,
        }
    }

    /// A short description for messages: `raw content`, `https://…`, `artifact public/x of task T`.
    pub fn describe(&self) -> String {
        match self {
            Content::Raw(_) => "raw content".into(),
            Content::Base64(_) => "base64 content".into(),
            Content::Url { url, .. } => format!("URL {url}"),
            Content::Artifact {
                task_id, artifact, ..
            } => format!("artifact `{artifact}` of task {task_id}"),
            Content::Indexed {
                namespace,
                artifact,
            } => format!("artifact `{artifact}` of the task indexed at `{namespace}`"),
        }
    }
}

/// One entry of `payload.mounts`. Paths are relative to the task dir, normalised to
/// `/`-separated components without `.` or empty parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mount {
    /// `{file, content, format?}`: content written to `<task dir>/<file>`, decompressed first.
    File {
        file: String,
        content: Content,
        format: Option<FileFormat>,
    },
    /// `{directory, content, format}`: the archive extracted into `<task dir>/<directory>`.
    Directory {
        directory: String,
        content: Content,
        format: ArchiveFormat,
    },
    /// `{directory, cacheName, content?, format?}`: a writable cache (§9.1); `content` and
    /// `format` come together and preload a new instance.
    Cache {
        directory: String,
        cache_name: String,
        content: Option<Content>,
        format: Option<ArchiveFormat>,
    },
}

impl Mount {
    /// The mount's path relative to the task dir.
    pub fn path(&self) -> &str {
        match self {
            Mount::File { file, .. } => file,
            Mount::Directory { directory, .. } | Mount::Cache { directory, .. } => directory,
        }
    }

    /// The content to fetch, if any.
    pub fn content(&self) -> Option<&Content> {
        match self {
            Mount::File { content, .. } | Mount::Directory { content, .. } => Some(content),
            Mount::Cache { content, .. } => content.as_ref(),
        }
    }

    /// `file`, `directory` or `cache`, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Mount::File { .. } => "file",
            Mount::Directory { .. } => "directory",
            Mount::Cache { .. } => "cache",
        }
    }

    fn path_field(&self) -> &'static str {
        match self {
            Mount::File { .. } => "file",
            _ => "directory",
        }
    }
}

/// The longest `raw` and `base64` strings generic-worker's schema allows.
const MAX_INLINE: usize = 65_536;

/// The base64 generic-worker accepts: standard alphabet, padding optional.
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// `{base64}` content that does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("is not valid base64 ({0})")]
#[diagnostic(code(tc::run::mount::base64))]
pub struct Base64Error(base64::DecodeError);

/// Decodes `{base64}` content.
pub(super) fn decode_base64(text: &str) -> Result<Vec<u8>, Base64Error> {
    BASE64.decode(text).map_err(Base64Error)
}

/// One problem of `payload.mounts`, at its JSON pointer into the payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{pointer}: {problem}")]
#[diagnostic(code(tc::run::mount::spec))]
pub struct SpecProblem {
    /// `payload/mounts/<i>/<field>…`.
    pub pointer: String,
    pub problem: String,
}

/// Every problem of `payload.mounts`, one a line, in payload order (malformed-payload).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{}", lines(.0))]
#[diagnostic(code(tc::run::mount::spec))]
pub struct SpecErrors(pub Vec<SpecProblem>);

fn lines(problems: &[SpecProblem]) -> String {
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

/// Lists a problem at `pointer`.
fn report(errors: &mut Vec<SpecProblem>, pointer: impl Into<String>, problem: impl Into<String>) {
    errors.push(SpecProblem {
        pointer: pointer.into(),
        problem: problem.into(),
    });
}

/// The mark of a field whose problem is listed already.
#[derive(Debug, Clone, Copy)]
struct Reported;

const FILE_FIELDS: &[&str] = &["file", "content", "format"];
const DIRECTORY_FIELDS: &[&str] = &["directory", "content", "format"];
const CACHE_FIELDS: &[&str] = &["directory", "cacheName", "content", "format"];

/// Parses `payload.mounts`. Every problem is listed; mounts come back in payload order.
pub fn parse(mounts: &[Value]) -> Result<Vec<Mount>, SpecErrors> {
    let mut errors = Vec::new();
    let mut out: Vec<(usize, Mount, Vec<String>)> = Vec::new();
    for (i, value) in mounts.iter().enumerate() {
        let here = format!("payload/mounts/{i}");
        let Some(mount) = parse_one(value, &here, &mut errors) else {
            continue;
        };
        let parts: Vec<String> = mount.path().split('/').map(str::to_owned).collect();
        let field = mount.path_field();
        for (j, earlier, earlier_parts) in &out {
            if let Some(problem) = overlap(&mount, &parts, earlier, earlier_parts) {
                report(
                    &mut errors,
                    format!("{here}/{field}"),
                    format!(
                        "`{}` {problem} payload/mounts/{j} (`{}`)",
                        mount.path(),
                        earlier.path()
                    ),
                );
            }
        }
        out.push((i, mount, parts));
    }
    if errors.is_empty() {
        Ok(out.into_iter().map(|(_, m, _)| m).collect())
    } else {
        Err(SpecErrors(errors))
    }
}

/// Why `later` cannot follow `earlier`, given their path components.
fn overlap(later: &Mount, lp: &[String], earlier: &Mount, ep: &[String]) -> Option<&'static str> {
    if lp == ep {
        return Some("is mounted already by");
    }
    if lp.starts_with(ep) && matches!(earlier, Mount::File { .. }) {
        return Some("would be inside the file mounted by");
    }
    if ep.starts_with(lp) {
        return match later {
            Mount::File { .. } => Some("would replace a directory that holds the earlier mount"),
            // The cache instance is renamed into place, which needs the path to be free.
            Mount::Cache { .. } => Some(
                "is a cache that would hide an earlier mount inside it (list the cache first):",
            ),
            Mount::Directory { .. } => None,
        };
    }
    None
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Reports keys that are not in `known`.
fn unknown_keys(
    map: &Map<String, Value>,
    known: &[&str],
    here: &str,
    errors: &mut Vec<SpecProblem>,
) {
    for key in map.keys() {
        if !known.contains(&key.as_str()) {
            report(
                errors,
                format!("{here}/{}", escape(key)),
                format!("unknown field (known here: {})", known.join(", ")),
            );
        }
    }
}

/// A string field: `None` (and an error) when it is required and missing, or not a string.
fn string<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    here: &str,
    required: bool,
    errors: &mut Vec<SpecProblem>,
) -> Option<&'a str> {
    match map.get(key) {
        None => {
            if required {
                report(errors, format!("{here}/{key}"), "is required");
            }
            None
        }
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            report(
                errors,
                format!("{here}/{key}"),
                format!("must be a string, not {}", kind(other)),
            );
            None
        }
    }
}

fn parse_one(value: &Value, here: &str, errors: &mut Vec<SpecProblem>) -> Option<Mount> {
    let Some(map) = value.as_object() else {
        report(
            errors,
            here,
            format!("must be a mapping, not {}", kind(value)),
        );
        return None;
    };
    let before = errors.len();
    let mount = if map.contains_key("file") {
        unknown_keys(map, FILE_FIELDS, here, errors);
        let file = mount_path(map, "file", here, errors);
        let content = content(map, here, true, errors);
        let format = file_format(map, here, errors);
        Mount::File {
            file: file?,
            content: content.ok()??,
            format: format.ok()?,
        }
    } else if map.contains_key("cacheName") {
        unknown_keys(map, CACHE_FIELDS, here, errors);
        let directory = mount_path(map, "directory", here, errors);
        let cache_name = string(map, "cacheName", here, true, errors);
        if cache_name == Some("") {
            report(errors, format!("{here}/cacheName"), "is empty");
        }
        let content = content(map, here, false, errors);
        let format = archive_format(map, here, false, errors);
        match (map.contains_key("content"), map.contains_key("format")) {
            (true, false) => report(
                errors,
                format!("{here}/format"),
                "is required with `content` (the archive format of the preload)",
            ),
            (false, true) => report(
                errors,
                format!("{here}/content"),
                "is required with `format` (the archive to preload the cache with)",
            ),
            _ => {}
        }
        Mount::Cache {
            directory: directory?,
            cache_name: cache_name?.to_owned(),
            content: content.ok()?,
            format: format.ok()?,
        }
    } else if map.contains_key("directory") {
        unknown_keys(map, DIRECTORY_FIELDS, here, errors);
        let directory = mount_path(map, "directory", here, errors);
        let content = content(map, here, true, errors);
        let format = archive_format(map, here, true, errors);
        Mount::Directory {
            directory: directory?,
            content: content.ok()??,
            format: format.ok()??,
        }
    } else {
        report(
            errors,
            here,
            "a mount needs `file` (a file mount) or `directory` (an archive extracted there, or a cache with `cacheName`)",
        );
        return None;
    };
    (errors.len() == before).then_some(mount)
}

/// Checks a mount path and returns it normalised. The task dir is the root: absolute paths
/// and `..` would leave it.
fn mount_path(
    map: &Map<String, Value>,
    key: &str,
    here: &str,
    errors: &mut Vec<SpecProblem>,
) -> Option<String> {
    let path = string(map, key, here, true, errors)?;
    match normalise(path) {
        Ok(p) => Some(p),
        Err(why) => {
            report(errors, format!("{here}/{key}"), why.to_string());
            None
        }
    }
}

/// A mount path that is not a path inside the task directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum PathProblem {
    #[error("holds a NUL character")]
    Nul,
    #[error(
        "`{0}` is absolute; tc mounts only inside the task directory, so give a path relative to it"
    )]
    Absolute(String),
    #[error("`{0}` has a `..` component, which escapes the task directory")]
    Parent(String),
    #[error("`{0}` names the task directory itself; give a path inside it")]
    TaskDirectory(String),
}

fn normalise(path: &str) -> Result<String, PathProblem> {
    if path.contains('\0') {
        return Err(PathProblem::Nul);
    }
    if path.starts_with('/') {
        return Err(PathProblem::Absolute(path.to_owned()));
    }
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(PathProblem::Parent(path.to_owned())),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err(PathProblem::TaskDirectory(path.to_owned()));
    }
    Ok(parts.join("/"))
}

/// A file mount's `format`: absent, or one tc decompresses.
fn file_format(
    map: &Map<String, Value>,
    here: &str,
    errors: &mut Vec<SpecProblem>,
) -> Result<Option<FileFormat>, Reported> {
    if !map.contains_key("format") {
        return Ok(None);
    }
    let name = string(map, "format", here, false, errors).ok_or(Reported)?;
    if let Some(f) = FileFormat::from_name(name) {
        return Ok(Some(f));
    }
    let supported: Vec<&str> = FileFormat::ALL.iter().map(|f| f.as_str()).collect();
    let unsupported = UNSUPPORTED_FILES.contains(&name);
    report(
        errors,
        format!("{here}/format"),
        format_problem(name, &supported, unsupported, "recompress the content"),
    );
    Err(Reported)
}

/// The error for a `format` tc does not read: generic-worker's other formats by name, anything
/// else as not a format at all.
fn format_problem(name: &str, supported: &[&str], unsupported: bool, remedy: &str) -> String {
    let supported = supported.join(", ");
    if unsupported {
        format!(
            "`{name}` is not supported by tc (supported: {supported}); {remedy} in one of these"
        )
    } else {
        format!("must be one of {supported}, not `{name}`")
    }
}

/// An archive `format`: `None` when absent (and not required), or one tc extracts.
fn archive_format(
    map: &Map<String, Value>,
    here: &str,
    required: bool,
    errors: &mut Vec<SpecProblem>,
) -> Result<Option<ArchiveFormat>, Reported> {
    if !map.contains_key("format") && !required {
        return Ok(None);
    }
    let name = string(map, "format", here, required, errors).ok_or(Reported)?;
    if let Some(f) = ArchiveFormat::from_name(name) {
        return Ok(Some(f));
    }
    let supported: Vec<&str> = ArchiveFormat::ALL.iter().map(|f| f.as_str()).collect();
    let unsupported = UNSUPPORTED_ARCHIVES.contains(&name);
    report(
        errors,
        format!("{here}/format"),
        format_problem(name, &supported, unsupported, "repack the archive"),
    );
    Err(Reported)
}

const RAW_FIELDS: &[&str] = &["raw"];
const BASE64_FIELDS: &[&str] = &["base64"];
const URL_FIELDS: &[&str] = &["url", "sha256"];
const ARTIFACT_FIELDS: &[&str] = &["taskId", "artifact", "sha256"];
const INDEXED_FIELDS: &[&str] = &["namespace", "artifact"];

/// A mount's `content`: `None` when absent (and not required), or good content.
fn content(
    map: &Map<String, Value>,
    mount: &str,
    required: bool,
    errors: &mut Vec<SpecProblem>,
) -> Result<Option<Content>, Reported> {
    let here = format!("{mount}/content");
    let Some(value) = map.get("content") else {
        if required {
            report(errors, here, "is required");
            return Err(Reported);
        }
        return Ok(None);
    };
    let Some(c) = value.as_object() else {
        report(
            errors,
            here,
            format!("must be a mapping, not {}", kind(value)),
        );
        return Err(Reported);
    };
    let before = errors.len();
    let content = if c.contains_key("raw") {
        inline_content(c, &here, "raw", errors)?
    } else if c.contains_key("base64") {
        inline_content(c, &here, "base64", errors)?
    } else if c.contains_key("url") {
        url_content(c, &here, errors)?
    } else if c.contains_key("namespace") {
        indexed_content(c, &here, errors)?
    } else if c.contains_key("taskId") || c.contains_key("artifact") {
        artifact_content(c, &here, errors)?
    } else {
        report(
            errors,
            here,
            "content needs one of `raw`, `base64`, `url`, `taskId` with `artifact`, or `namespace` with `artifact`",
        );
        return Err(Reported);
    };
    if errors.len() == before {
        Ok(Some(content))
    } else {
        Err(Reported)
    }
}

/// `{raw}` or `{base64}` (`key`), within generic-worker's length limit.
fn inline_content(
    c: &Map<String, Value>,
    here: &str,
    key: &str,
    errors: &mut Vec<SpecProblem>,
) -> Result<Content, Reported> {
    let base64 = key == "base64";
    unknown_keys(
        c,
        if base64 { BASE64_FIELDS } else { RAW_FIELDS },
        here,
        errors,
    );
    let text = string(c, key, here, true, errors).ok_or(Reported)?;
    // The schema counts characters; base64 is ASCII, so its bytes are its characters.
    let length = if base64 {
        text.len()
    } else {
        text.chars().count()
    };
    if length > MAX_INLINE {
        report(
            errors,
            format!("{here}/{key}"),
            format!("is longer than {MAX_INLINE} characters; serve larger content from a URL"),
        );
    } else if base64 && let Err(why) = decode_base64(text) {
        report(errors, format!("{here}/{key}"), why.to_string());
    }
    Ok(if base64 {
        Content::Base64(text.to_owned())
    } else {
        Content::Raw(text.to_owned())
    })
}

/// `{url, sha256?}`: an http or https URL.
fn url_content(
    c: &Map<String, Value>,
    here: &str,
    errors: &mut Vec<SpecProblem>,
) -> Result<Content, Reported> {
    unknown_keys(c, URL_FIELDS, here, errors);
    let url = string(c, "url", here, true, errors);
    if let Some(url) = url {
        match reqwest::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            Ok(u) => report(
                errors,
                format!("{here}/url"),
                format!(
                    "`{url}` is a {} URL; tc downloads http and https URLs only",
                    u.scheme()
                ),
            ),
            Err(e) => report(
                errors,
                format!("{here}/url"),
                format!("`{url}` is not a URL ({e})"),
            ),
        }
    }
    let sha256 = sha256(c, here, errors);
    Ok(Content::Url {
        url: url.ok_or(Reported)?.to_owned(),
        sha256: sha256?,
    })
}

/// `{namespace, artifact}`.
fn indexed_content(
    c: &Map<String, Value>,
    here: &str,
    errors: &mut Vec<SpecProblem>,
) -> Result<Content, Reported> {
    unknown_keys(c, INDEXED_FIELDS, here, errors);
    let namespace = string(c, "namespace", here, true, errors);
    if let Some(ns) = namespace
        && (ns.is_empty() || ns.len() > 255)
    {
        report(
            errors,
            format!("{here}/namespace"),
            "must be an index namespace of 1 to 255 characters",
        );
    }
    let artifact = artifact_name(c, here, errors);
    Ok(Content::Indexed {
        namespace: namespace.ok_or(Reported)?.to_owned(),
        artifact: artifact.ok_or(Reported)?,
    })
}

/// `{taskId, artifact, sha256?}`.
fn artifact_content(
    c: &Map<String, Value>,
    here: &str,
    errors: &mut Vec<SpecProblem>,
) -> Result<Content, Reported> {
    unknown_keys(c, ARTIFACT_FIELDS, here, errors);
    let task_id = string(c, "taskId", here, true, errors);
    if let Some(id) = task_id
        && !is_task_id(id)
    {
        report(
            errors,
            format!("{here}/taskId"),
            format!("`{id}` is not a taskId (22 characters of A-Z, a-z, 0-9, `-` and `_`)"),
        );
    }
    let artifact = artifact_name(c, here, errors);
    let sha256 = sha256(c, here, errors);
    Ok(Content::Artifact {
        task_id: task_id.ok_or(Reported)?.to_owned(),
        artifact: artifact.ok_or(Reported)?,
        sha256: sha256?,
    })
}

fn artifact_name(
    map: &Map<String, Value>,
    here: &str,
    errors: &mut Vec<SpecProblem>,
) -> Option<String> {
    let name = string(map, "artifact", here, true, errors)?;
    if name.is_empty() || name.len() > 1024 {
        report(
            errors,
            format!("{here}/artifact"),
            "must be an artifact name of 1 to 1024 characters",
        );
        return None;
    }
    Some(name.to_owned())
}

/// `None` when absent, else 64 lowercase hex digits.
fn sha256(
    map: &Map<String, Value>,
    here: &str,
    errors: &mut Vec<SpecProblem>,
) -> Result<Option<String>, Reported> {
    if !map.contains_key("sha256") {
        return Ok(None);
    }
    let text = string(map, "sha256", here, false, errors).ok_or(Reported)?;
    if text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(Some(text.to_owned()))
    } else {
        report(
            errors,
            format!("{here}/sha256"),
            format!("must be 64 lowercase hex digits (the SHA-256 of the content), not `{text}`"),
        );
        Err(Reported)
    }
}

fn is_task_id(id: &str) -> bool {
    id.len() == 22
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(mounts: &Value) -> String {
        parse(mounts.as_array().unwrap()).unwrap_err().to_string()
    }

    const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn every_kind_of_mount_and_content_parses() {
        let mounts = json!([
            {"file": "a/b.txt", "content": {"raw": "hi"}},
            {"file": "./c//d.gz", "content": {"base64": "aGk="}, "format": "gz"},
            {"directory": "tools", "content": {"url": "https://example.com/t.tar.zst", "sha256": SHA}, "format": "tar.zst"},
            {"directory": "tools/extra", "content": {"taskId": "fN1lzX8ESqmWvM3zm0VpXQ", "artifact": "public/x.zip"}, "format": "zip"},
            {"directory": "idx", "content": {"namespace": "project.x.latest", "artifact": "public/y.tar"}, "format": "tar"},
            {"directory": "cache", "cacheName": "c1"},
            {"directory": "cache2", "cacheName": "c2", "content": {"raw": ""}, "format": "tar.lz4"},
        ]);
        let got = parse(mounts.as_array().unwrap()).unwrap();
        assert_eq!(got.len(), 7);
        assert_eq!(
            got[1],
            Mount::File {
                file: "c/d.gz".into(),
                content: Content::Base64("aGk=".into()),
                format: Some(FileFormat::Gz),
            }
        );
        assert_eq!(
            got[2].content().unwrap().sha256(),
            Some(SHA),
            "{:?}",
            got[2]
        );
        assert_eq!(
            got[3],
            Mount::Directory {
                directory: "tools/extra".into(),
                content: Content::Artifact {
                    task_id: "fN1lzX8ESqmWvM3zm0VpXQ".into(),
                    artifact: "public/x.zip".into(),
                    sha256: None
                },
                format: ArchiveFormat::Zip,
            }
        );
        assert_eq!(
            got[5],
            Mount::Cache {
                directory: "cache".into(),
                cache_name: "c1".into(),
                content: None,
                format: None
            }
        );
        assert_eq!(got[6].kind(), "cache");
        assert!(parse(&[]).unwrap().is_empty());
    }

    #[test]
    fn every_required_format_has_its_name() {
        for f in ArchiveFormat::ALL {
            assert_eq!(ArchiveFormat::from_name(f.as_str()), Some(f));
        }
        for f in FileFormat::ALL {
            assert_eq!(FileFormat::from_name(f.as_str()), Some(f));
        }
    }

    #[test]
    fn generic_workers_other_formats_are_rejected_by_name() {
        for name in UNSUPPORTED_ARCHIVES {
            let all = errors(&json!([{"directory": "d", "content": {"raw": ""}, "format": name}]));
            assert!(
                all.contains(&format!(
                    "payload/mounts/0/format: `{name}` is not supported"
                )),
                "{all}"
            );
            assert!(all.contains("tar.zst"), "{all}");
        }
        for name in UNSUPPORTED_FILES {
            let all = errors(&json!([{"file": "f", "content": {"raw": ""}, "format": name}]));
            assert!(all.contains("is not supported"), "{all}");
        }
        let all = errors(&json!([{"directory": "d", "content": {"raw": ""}, "format": "cpio"}]));
        assert!(all.contains("must be one of tar, tar.gz"), "{all}");
        let all = errors(&json!([{"file": "f", "content": {"raw": ""}, "format": "tar.gz"}]));
        assert!(all.contains("must be one of gz, bz2"), "{all}");
    }

    #[test]
    fn every_problem_is_listed_with_its_pointer() {
        let all = errors(&json!([
            "nope",
            {"file": "/etc/passwd", "content": {"raw": 1}, "bogus": true},
            {"directory": "../up", "content": {"url": "ftp://x/y", "sha256": "ABC"}},
            {"directory": "d", "content": {"taskId": "short", "artifact": ""}, "format": 7},
            {"directory": "c", "cacheName": 3, "content": {"raw": "x"}},
            {"directory": "c2", "cacheName": "n", "format": "tar"},
            {"content": {"raw": "x"}},
            {"file": "f", "content": {"base64": "not base64!"}},
            {"file": "g", "content": {"what": 1}},
            {"file": ".", "content": "text"},
            {"directory": "i", "content": {"namespace": "", "artifact": "a", "x": 1}, "format": "zip"},
        ]));
        for needle in [
            "payload/mounts/0: must be a mapping, not a string",
            "payload/mounts/1/bogus: unknown field (known here: file, content, format)",
            "payload/mounts/1/file: `/etc/passwd` is absolute",
            "payload/mounts/1/content/raw: must be a string, not a number",
            "payload/mounts/2/directory: `../up` has a `..` component, which escapes the task directory",
            "payload/mounts/2/content/url: `ftp://x/y` is a ftp URL",
            "payload/mounts/2/content/sha256: must be 64 lowercase hex digits",
            "payload/mounts/2/format: is required",
            "payload/mounts/3/content/taskId: `short` is not a taskId",
            "payload/mounts/3/content/artifact: must be an artifact name",
            "payload/mounts/3/format: must be a string, not a number",
            "payload/mounts/4/cacheName: must be a string, not a number",
            "payload/mounts/4/format: is required with `content`",
            "payload/mounts/5/content: is required with `format`",
            "payload/mounts/6: a mount needs `file`",
            "payload/mounts/7/content/base64: is not valid base64",
            "payload/mounts/8/content: content needs one of",
            "payload/mounts/9/file: `.` names the task directory itself",
            "payload/mounts/9/content: must be a mapping, not a string",
            "payload/mounts/10/content/namespace: must be an index namespace",
            "payload/mounts/10/content/x: unknown field (known here: namespace, artifact)",
        ] {
            assert!(all.contains(needle), "{needle} in\n{all}");
        }
    }

    #[test]
    fn base64_padding_is_optional_but_whitespace_is_not() {
        assert_eq!(decode_base64("aGk=").unwrap(), b"hi");
        assert_eq!(decode_base64("aGk").unwrap(), b"hi");
        assert!(decode_base64("aG k=").is_err());
        assert!(decode_base64("aGk=\n").is_err());
    }

    #[test]
    fn same_paths_and_impossible_nesting_are_rejected() {
        let raw = json!({"raw": ""});
        let all = errors(&json!([
            {"directory": "a", "content": raw, "format": "tar"},
            {"file": "./a/", "content": raw},
            {"file": "f", "content": raw},
            {"file": "f/inner", "content": raw},
            {"file": "d/x", "content": raw},
            {"directory": "d", "cacheName": "c"},
            {"file": "d", "content": raw},
        ]));
        for needle in [
            "payload/mounts/1/file: `a` is mounted already by payload/mounts/0 (`a`)",
            "payload/mounts/3/file: `f/inner` would be inside the file mounted by payload/mounts/2",
            "payload/mounts/5/directory: `d` is a cache that would hide an earlier mount",
            "payload/mounts/6/file: `d` would replace a directory that holds the earlier mount payload/mounts/4",
        ] {
            assert!(all.contains(needle), "{needle} in\n{all}");
        }
    }

    #[test]
    fn a_later_mount_may_nest_in_an_earlier_directory_or_contain_it() {
        let raw = json!({"raw": ""});
        let m = json!([
            {"directory": "a", "content": raw, "format": "tar"},
            {"file": "a/b/c", "content": raw},
            {"directory": "a/b/d", "content": raw, "format": "zip"},
            {"directory": "a", "cacheName": "x"},
        ]);
        // The cache at `a` repeats a path: rejected. Without it, the rest is fine.
        assert!(parse(m.as_array().unwrap()).is_err());
        let ok = &m.as_array().unwrap()[..3];
        assert_eq!(parse(ok).unwrap().len(), 3);
        let outer_later = json!([
            {"file": "x/y", "content": raw},
            {"directory": "x", "content": raw, "format": "tar"},
        ]);
        assert_eq!(parse(outer_later.as_array().unwrap()).unwrap().len(), 2);
    }

    #[test]
    fn inline_content_is_limited_like_generic_worker() {
        let long = "a".repeat(MAX_INLINE + 1);
        let all = errors(&json!([{"file": "f", "content": {"raw": long}}]));
        assert!(all.contains("longer than 65536"), "{all}");
        let ok = "a".repeat(MAX_INLINE);
        assert!(parse(&[json!({"file": "f", "content": {"raw": ok}})]).is_ok());
    }
}
