//! Build contexts of in-tree images (worker.md §4.3): the deterministic tar that taskgraph's
//! `stream_context_tar` would make for `R/docker/<definition>/`, and the tag derived from it.
//!
//! Everything here is pure file work; sending the tar to the daemon is the Docker engine's job.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use miette::{NamedSource, SourceSpan};

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Where the image entries live, relative to the graph root.
const KIND_FILE: &str = "kinds/docker-image/kind.yml";
/// The arg a child's Dockerfile uses to name its parent image.
const PARENT_ARG: &str = "DOCKER_IMAGE_PARENT";
/// Where includes go inside the context.
const TOPSRCDIR: &str = "topsrcdir";

/// One image's build context, ready for the daemon's build endpoint.
#[derive(Debug, Clone)]
pub struct ImageContext {
    pub name: String,
    /// `R/docker/<definition>`.
    pub context_dir: PathBuf,
    /// Include paths, relative to the repository root (normalised), in Dockerfile order.
    pub includes: Vec<String>,
    /// The substitutions the Dockerfile asked for with `# %ARG` (DOCKER_IMAGE_PARENT included).
    pub args: BTreeMap<String, String>,
    /// The processed Dockerfile, as it is in the tar.
    pub dockerfile: String,
    /// The context tar (uncompressed).
    pub tar: Vec<u8>,
    /// `tc-local/<name>:<first 16 hex of sha256(tar)>`.
    pub tag: String,
    /// The parent image's name, when the kind entry gives one.
    pub parent: Option<String>,
}

/// Why a build context cannot be made. Every one is the payload's (or the tree's) fault.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ContextError {
    #[error(
        "no taskgraph directory at {}: in-tree images need the directory holding kinds/ and docker/ (pass it with --root)",
        path.display()
    )]
    #[diagnostic(code(tc::run::image::graph_root))]
    GraphRootMissing { path: PathBuf },

    #[error(
        "the taskgraph directory {} has no parent directory to serve as the repository root",
        path.display()
    )]
    #[diagnostic(code(tc::run::image::repository))]
    NoRepositoryRoot { path: PathBuf },

    #[error("cannot read {}", path.display())]
    #[diagnostic(code(tc::run::image::io))]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("{}: {message}", path.display())]
    #[diagnostic(code(tc::run::image::kind_file))]
    KindFile {
        path: PathBuf,
        message: String,
        /// The file, when the problem has a place in it (a YAML syntax error).
        #[source_code]
        text: Option<Arc<NamedSource<String>>>,
        #[label("here")]
        at: Option<SourceSpan>,
    },

    #[error("image '{name}': {reason}")]
    #[diagnostic(code(tc::run::image::name))]
    InvalidName { name: String, reason: String },

    #[error(
        "image '{name}': no context directory {}: create it with a Dockerfile, or set `definition` for '{name}' in {KIND_FILE}",
        path.display()
    )]
    #[diagnostic(code(tc::run::image::context_dir))]
    ContextDirMissing { name: String, path: PathBuf },

    #[error("image '{name}': no Dockerfile at {}: add one to the context directory", path.display())]
    #[diagnostic(code(tc::run::image::dockerfile))]
    DockerfileMissing { name: String, path: PathBuf },

    #[error(
        "{}:{line}: `# %ARG {arg}` has no value: add `{arg}` under `args` of '{name}' in {KIND_FILE}",
        path.display()
    )]
    #[diagnostic(code(tc::run::image::arg))]
    MissingArg {
        name: String,
        arg: String,
        path: PathBuf,
        line: usize,
        #[source_code]
        text: Arc<NamedSource<String>>,
        #[label("no value for {arg}")]
        at: SourceSpan,
    },

    #[error(
        "{}:{line}: `# %include {include}` {reason}: include paths must stay inside the repository root {}",
        path.display(),
        repo.display()
    )]
    #[diagnostic(code(tc::run::image::include))]
    IncludeOutside {
        include: String,
        reason: &'static str,
        path: PathBuf,
        line: usize,
        repo: PathBuf,
        #[source_code]
        text: Arc<NamedSource<String>>,
        #[label("outside the repository")]
        at: SourceSpan,
    },

    #[error(
        "{}:{line}: `# %include {include}`: {} does not exist; fix the path (it is relative to the repository root)",
        path.display(),
        target.display()
    )]
    #[diagnostic(code(tc::run::image::include))]
    IncludeMissing {
        include: String,
        target: PathBuf,
        path: PathBuf,
        line: usize,
        #[source_code]
        text: Arc<NamedSource<String>>,
        #[label("no such file or directory")]
        at: SourceSpan,
    },

    #[error("{}:{line}: {message}", path.display())]
    #[diagnostic(code(tc::run::image::directive))]
    Directive {
        path: PathBuf,
        line: usize,
        message: String,
        #[source_code]
        text: Arc<NamedSource<String>>,
        #[label("this line")]
        at: SourceSpan,
    },

    #[error("{}: {reason}", path.display())]
    #[diagnostic(code(tc::run::image::file))]
    BadFile { path: PathBuf, reason: String },

    #[error(
        "image '{name}': `{entry}` is both a file and a directory in the build context; rename the context's own `{TOPSRCDIR}` entry"
    )]
    #[diagnostic(code(tc::run::image::clash))]
    Clash { name: String, entry: String },

    #[error("image parents form a cycle: {chain}; remove one `parent` in {KIND_FILE}")]
    #[diagnostic(code(tc::run::image::cycle))]
    Cycle { chain: String },

    #[error("image '{name}': cannot write `{entry}` into the context tar")]
    #[diagnostic(code(tc::run::image::archive))]
    Archive {
        name: String,
        entry: String,
        #[source]
        source: io::Error,
    },
}

/// The image and its parents, parents first (the last element is `name`).
pub fn contexts(graph_root: &Path, name: &str) -> Result<Vec<ImageContext>, ContextError> {
    let root = match fs::metadata(graph_root) {
        Ok(m) if m.is_dir() => fs::canonicalize(graph_root).map_err(|source| ContextError::Io {
            path: graph_root.to_owned(),
            source,
        })?,
        Ok(_) => {
            return Err(ContextError::GraphRootMissing {
                path: graph_root.to_owned(),
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(ContextError::GraphRootMissing {
                path: graph_root.to_owned(),
            });
        }
        Err(source) => {
            return Err(ContextError::Io {
                path: graph_root.to_owned(),
                source,
            });
        }
    };
    // Canonical, so include and symlink checks compare real paths.
    let repo = root
        .parent()
        .ok_or_else(|| ContextError::NoRepositoryRoot { path: root.clone() })?
        .to_owned();
    let kind = Kind::load(&root)?;

    // Walk up the parent links first: a child's tar depends on its parent's tag.
    let mut chain: Vec<(String, ImageEntry)> = Vec::new();
    let mut current = name.to_owned();
    loop {
        check_name(&current)?;
        if chain.iter().any(|(n, _)| *n == current) {
            let mut names: Vec<&str> = chain.iter().map(|(n, _)| n.as_str()).collect();
            names.push(&current);
            return Err(ContextError::Cycle {
                chain: names.join(" → "),
            });
        }
        let entry = kind.entry(&current)?;
        let parent = entry.parent.clone();
        chain.push((current, entry));
        match parent {
            Some(p) => current = p,
            None => break,
        }
    }

    let mut out: Vec<ImageContext> = Vec::with_capacity(chain.len());
    for (image, entry) in chain.into_iter().rev() {
        let mut args = entry.args;
        if entry.parent.is_some() {
            // The previous element is this image's parent (the chain is parents first).
            if let Some(parent) = out.last() {
                args.insert(PARENT_ARG.to_owned(), parent.tag.clone());
            }
        }
        let definition = entry.definition.unwrap_or_else(|| image.clone());
        out.push(build(
            &root,
            &repo,
            &image,
            &definition,
            &args,
            entry.parent,
        )?);
    }
    Ok(out)
}

/// Makes one image's context once its args (parent tag included) are known.
fn build(
    root: &Path,
    repo: &Path,
    name: &str,
    definition: &str,
    args: &BTreeMap<String, String>,
    parent: Option<String>,
) -> Result<ImageContext, ContextError> {
    let context_dir = root.join("docker").join(definition);
    match fs::metadata(&context_dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(ContextError::ContextDirMissing {
                name: name.to_owned(),
                path: context_dir,
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(ContextError::ContextDirMissing {
                name: name.to_owned(),
                path: context_dir,
            });
        }
        Err(source) => {
            return Err(ContextError::Io {
                path: context_dir,
                source,
            });
        }
    }
    // A context directory that is a symlink out of the repository would send outside files
    // to the daemon.
    let real = fs::canonicalize(&context_dir).map_err(|source| ContextError::Io {
        path: context_dir.clone(),
        source,
    })?;
    if !real.starts_with(repo) {
        return Err(ContextError::BadFile {
            path: context_dir,
            reason: "the context directory leads outside the repository through a symlink".into(),
        });
    }
    let dockerfile_path = context_dir.join("Dockerfile");
    match fs::metadata(&dockerfile_path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => {
            return Err(ContextError::DockerfileMissing {
                name: name.to_owned(),
                path: dockerfile_path,
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(ContextError::DockerfileMissing {
                name: name.to_owned(),
                path: dockerfile_path,
            });
        }
        Err(source) => {
            return Err(ContextError::Io {
                path: dockerfile_path,
                source,
            });
        }
    }

    let mut entries = Entries {
        name,
        repo,
        map: BTreeMap::new(),
    };
    entries.walk(&context_dir, "")?;

    let bytes = fs::read(&dockerfile_path).map_err(|source| ContextError::Io {
        path: dockerfile_path.clone(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| ContextError::BadFile {
        path: dockerfile_path.clone(),
        reason: "the Dockerfile is not UTF-8 text".to_owned(),
    })?;
    let processed = process_dockerfile(&text, args, name, &dockerfile_path)?;

    let mut includes = Vec::with_capacity(processed.includes.len());
    for (line, raw) in &processed.includes {
        let rel = normalise_include(raw).map_err(|reason| ContextError::IncludeOutside {
            include: raw.clone(),
            reason,
            path: dockerfile_path.clone(),
            line: line.number,
            repo: repo.to_owned(),
            text: line.text.clone(),
            at: line.at,
        })?;
        entries.include(&rel, raw, line, &dockerfile_path)?;
        includes.push(rel);
    }
    entries.put(
        "Dockerfile",
        Entry::Data(processed.text.clone().into_bytes()),
    )?;

    let tar = entries.write_tar()?;
    let digest = hex::encode(Sha256::digest(&tar));
    let tag = format!("tc-local/{name}:{}", &digest[..16]);
    Ok(ImageContext {
        name: name.to_owned(),
        context_dir,
        includes,
        args: processed.applied,
        dockerfile: processed.text,
        tar,
        tag,
        parent,
    })
}

/// A name must make a valid Docker repository component, since it goes into the tag.
fn check_name(name: &str) -> Result<(), ContextError> {
    let invalid = |reason: &str| ContextError::InvalidName {
        name: name.to_owned(),
        reason: format!(
            "{reason}; image names become `tc-local/<name>` tags, so use lowercase letters and digits separated by single `.`, `_`, `__` or `-`"
        ),
    };
    if name.is_empty() {
        return Err(invalid("the name is empty"));
    }
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if let Some(c) = name
        .chars()
        .find(|&c| !alnum(c) && !matches!(c, '.' | '_' | '-'))
    {
        return Err(invalid(&format!("`{c}` is not allowed")));
    }
    // Docker's grammar: runs of [a-z0-9] joined by `.`, `_`, `__` or any run of `-`.
    let separator_ok = |sep: &str| matches!(sep, "." | "_" | "__") || sep.chars().all(|c| c == '-');
    let mut separator = String::new();
    for (i, c) in name.chars().enumerate() {
        if alnum(c) {
            if !separator_ok(&separator) {
                return Err(invalid(&format!(
                    "`{separator}` cannot separate name parts"
                )));
            }
            separator.clear();
        } else if i == 0 {
            return Err(invalid("the name must start with a letter or digit"));
        } else {
            separator.push(c);
        }
    }
    if !separator.is_empty() {
        return Err(invalid("the name must end with a letter or digit"));
    }
    Ok(())
}

/// The fields of a `docker-image` kind entry that shape the context.
#[derive(Debug, Default)]
struct ImageEntry {
    definition: Option<String>,
    args: BTreeMap<String, String>,
    parent: Option<String>,
}

/// The parsed `kind.yml` (and its `tasks-from` files), when it exists.
struct Kind {
    path: PathBuf,
    doc: Value,
    /// `tasks-from` files in list order, as (path, document).
    from: Vec<(PathBuf, Value)>,
}

impl Kind {
    fn load(root: &Path) -> Result<Kind, ContextError> {
        let path = root.join(KIND_FILE);
        let doc = match fs::read_to_string(&path) {
            Ok(text) => parse_yaml(&path, &text)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Value::Null,
            Err(source) => return Err(ContextError::Io { path, source }),
        };
        let bad = |message: String| ContextError::KindFile {
            path: path.clone(),
            message,
            text: None,
            at: None,
        };
        if !(doc.is_object() || doc.is_null()) {
            return Err(bad("the top level must be a mapping".to_owned()));
        }
        if let Some(tasks) = doc.get("tasks")
            && !(tasks.is_object() || tasks.is_null())
        {
            return Err(bad("`tasks` must be a mapping of image names".to_owned()));
        }
        let mut from = Vec::new();
        match doc.get("tasks-from") {
            None | Some(Value::Null) => {}
            Some(Value::Array(files)) => {
                let dir = path.parent().unwrap_or(root);
                for file in files {
                    let Some(file) = file.as_str() else {
                        return Err(bad("`tasks-from` must be a list of file names".to_owned()));
                    };
                    let file_path = dir.join(file);
                    let text =
                        fs::read_to_string(&file_path).map_err(|source| ContextError::Io {
                            path: file_path.clone(),
                            source,
                        })?;
                    let file_doc = parse_yaml(&file_path, &text)?;
                    if !(file_doc.is_object() || file_doc.is_null()) {
                        return Err(ContextError::KindFile {
                            path: file_path,
                            message: "the top level must be a mapping of image names".to_owned(),
                            text: None,
                            at: None,
                        });
                    }
                    from.push((file_path, file_doc));
                }
            }
            Some(_) => return Err(bad("`tasks-from` must be a list of file names".to_owned())),
        }
        Ok(Kind { path, doc, from })
    }

    /// The entry for `name` with `task-defaults` merged under it (taskgraph.md §1.5);
    /// no entry gives the defaults of §4.3 (definition = name, no args, no parent).
    fn entry(&self, name: &str) -> Result<ImageEntry, ContextError> {
        let kind_defaults = self.doc.get("task-defaults");
        if let Some(task) = self.doc.get("tasks").and_then(|t| t.get(name)) {
            let merged = overlay(kind_defaults, task);
            return parse_entry(&self.path, name, &merged);
        }
        // In a `tasks-from` file this key holds the file's defaults, not an image.
        if name == "task-defaults" {
            return Ok(ImageEntry::default());
        }
        for (path, doc) in &self.from {
            if let Some(task) = doc.get(name) {
                let defaults = match (kind_defaults, doc.get("task-defaults")) {
                    (Some(k), Some(f)) => Some(merge(k, f)),
                    (k, f) => f.or(k).cloned(),
                };
                let merged = overlay(defaults.as_ref(), task);
                return parse_entry(path, name, &merged);
            }
        }
        Ok(ImageEntry::default())
    }
}

fn parse_yaml(path: &Path, text: &str) -> Result<Value, ContextError> {
    let mut options = serde_saphyr::options::Options::default();
    options.with_snippet = false;
    // YAML 1.2, as the rest of tc reads taskgraph files.
    options.strict_booleans = true;
    serde_saphyr::from_str_with_options::<Value>(text, options).map_err(|e| {
        let msg = e.to_string();
        let (message, place) = match e.location() {
            Some(loc) => {
                let msg = msg.split(" at line ").next().unwrap_or(&msg);
                let message = format!("line {} column {}: {msg}", loc.line(), loc.column());
                let at = offset_of(text, loc.line(), loc.column());
                (message, Some(at))
            }
            None => (msg, None),
        };
        ContextError::KindFile {
            path: path.to_owned(),
            message,
            text: place.map(|_| source(path, text.to_owned())),
            at: place.map(|at| SourceSpan::from((at, 0))),
        }
    })
}

/// A file's text for the snippet of an error about it.
fn source(path: &Path, text: String) -> Arc<NamedSource<String>> {
    Arc::new(NamedSource::new(path.display().to_string(), text))
}

/// The byte offset of 1-based `line` and `column` (in characters) in `text`, or its end.
fn offset_of(text: &str, line: u64, column: u64) -> usize {
    let skip = usize::try_from(line.saturating_sub(1)).unwrap_or(usize::MAX);
    let Some(start) = text
        .split_inclusive('\n')
        .scan(0, |at, l| {
            let start = *at;
            *at += l.len();
            Some((start, l))
        })
        .nth(skip)
    else {
        return text.len();
    };
    let (at, l) = start;
    let column = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
    at + l.char_indices().nth(column).map_or(l.len(), |(i, _)| i)
}

fn overlay(defaults: Option<&Value>, task: &Value) -> Value {
    match defaults {
        Some(d) => merge(d, task),
        None => task.clone(),
    }
}

/// taskgraph's merge of defaults under a task: mappings merge, lists concatenate, else the
/// task wins; a task mapping with a single `by-*` key replaces the default outright.
fn merge(defaults: &Value, task: &Value) -> Value {
    match (defaults, task) {
        (Value::Object(d), Value::Object(t)) => {
            let keyed_by = t.len() == 1 && t.keys().all(|k| k.starts_with("by-"));
            if keyed_by {
                return task.clone();
            }
            let mut out = d.clone();
            for (k, v) in t {
                let merged = match d.get(k) {
                    Some(dv) => merge(dv, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Array(d), Value::Array(t)) => {
            Value::Array(d.iter().chain(t.iter()).cloned().collect())
        }
        _ => task.clone(),
    }
}

fn parse_entry(path: &Path, name: &str, task: &Value) -> Result<ImageEntry, ContextError> {
    let bad = |message: String| ContextError::KindFile {
        path: path.to_owned(),
        message,
        text: None,
        at: None,
    };
    let Some(task) = task.as_object() else {
        if task.is_null() {
            return Ok(ImageEntry::default());
        }
        return Err(bad(format!("tasks.{name} must be a mapping")));
    };
    let string = |key: &str| -> Result<Option<String>, ContextError> {
        match task.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad(format!(
                "tasks.{name}.{key} must be a string (keyed-by values are not supported for in-tree images)"
            ))),
        }
    };
    let definition = string("definition")?;
    if let Some(d) = &definition {
        let mut parts = Path::new(d).components();
        let single = matches!(parts.next(), Some(Component::Normal(_))) && parts.next().is_none();
        if !single || d.contains('/') || d.contains('\\') {
            return Err(bad(format!(
                "tasks.{name}.definition `{d}` must be the name of one directory under docker/"
            )));
        }
    }
    let parent = string("parent")?;
    let mut args = BTreeMap::new();
    match task.get("args") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                let Some(v) = v.as_str() else {
                    return Err(bad(format!(
                        "tasks.{name}.args.{k} must be a string (quote it)"
                    )));
                };
                args.insert(k.clone(), v.to_owned());
            }
        }
        Some(_) => {
            return Err(bad(format!(
                "tasks.{name}.args must be a mapping of names to strings"
            )));
        }
    }
    Ok(ImageEntry {
        definition,
        args,
        parent,
    })
}

/// The Dockerfile after `# %ARG` and `# %include` processing.
#[derive(Debug)]
struct Processed {
    text: String,
    /// (line, include path as written after substitution).
    includes: Vec<(Line, String)>,
    applied: BTreeMap<String, String>,
}

/// A line of a Dockerfile, for messages about it and their snippet.
#[derive(Debug, Clone)]
struct Line {
    /// 1-based.
    number: usize,
    /// The Dockerfile, with taskgraph's line endings.
    text: Arc<NamedSource<String>>,
    at: SourceSpan,
}

/// taskgraph's line rules: `# %ARG NAME` (dropped) substitutes `$NAME` in the lines after it;
/// a `# %include PATH` line, after substitution, is kept and names an include.
fn process_dockerfile(
    text: &str,
    args: &BTreeMap<String, String>,
    name: &str,
    path: &Path,
) -> Result<Processed, ContextError> {
    let directive = |line: &Line, message: String| ContextError::Directive {
        path: path.to_owned(),
        line: line.number,
        message,
        text: line.text.clone(),
        at: line.at,
    };
    // Python's text mode (universal newlines) gives taskgraph `\n` endings only.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let shown = source(path, text.clone());
    let mut out = String::with_capacity(text.len());
    let mut subs: Vec<(&str, &str)> = Vec::new();
    let mut includes = Vec::new();
    let mut applied = BTreeMap::new();
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let here = Line {
            number: i + 1,
            text: shown.clone(),
            at: (offset, raw.trim_end_matches('\n').len()).into(),
        };
        offset += raw.len();
        // Directives are recognised at the start of the raw line, as taskgraph does.
        if let Some(rest) = raw.strip_prefix("# %ARG") {
            let arg = directive_operand(rest).ok_or_else(|| {
                directive(
                    &here,
                    "malformed `# %ARG` line: write `# %ARG NAME`".to_owned(),
                )
            })?;
            if !is_identifier(arg) {
                return Err(directive(
                    &here,
                    format!("`# %ARG {arg}`: an arg name is letters, digits and `_`"),
                ));
            }
            let Some((key, value)) = args.get_key_value(arg) else {
                return Err(ContextError::MissingArg {
                    name: name.to_owned(),
                    arg: arg.to_owned(),
                    path: path.to_owned(),
                    line: here.number,
                    text: here.text,
                    at: here.at,
                });
            };
            subs.push((key.as_str(), value.as_str()));
            applied.insert(key.clone(), value.clone());
            continue;
        }
        let mut line = raw.to_owned();
        for (key, value) in &subs {
            line = substitute(&line, key, value);
        }
        if let Some(rest) = line.strip_prefix("# %include") {
            if rest.trim_end() == "-run-task" {
                return Err(directive(
                    &here,
                    "`# %include-run-task` needs taskgraph's own run-task scripts, which tc does not ship: copy them into the repository and use `# %include PATH`".to_owned(),
                ));
            }
            let include = directive_operand(rest).ok_or_else(|| {
                directive(
                    &here,
                    "malformed `# %include` line: write `# %include PATH`".to_owned(),
                )
            })?;
            includes.push((here, include.to_owned()));
        }
        out.push_str(&line);
    }
    Ok(Processed {
        text: out,
        includes,
        applied,
    })
}

/// The operand after a directive keyword: whitespace, then a non-empty trimmed word.
fn directive_operand(rest: &str) -> Option<&str> {
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let operand = rest.trim();
    (!operand.is_empty()).then_some(operand)
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Python's `\w` for text patterns.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Replaces `$key` followed by a word boundary (taskgraph's `\$KEY\b`); the value is literal.
fn substitute(line: &str, key: &str, value: &str) -> String {
    let needle = format!("${key}");
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find(&needle) {
        let after = &rest[at + needle.len()..];
        out.push_str(&rest[..at]);
        if after.chars().next().is_none_or(|c| !is_word(c)) {
            out.push_str(value);
        } else {
            out.push_str(&needle);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// An include path made relative and free of `.`/`..`, joined with `/`; the reason on failure.
fn normalise_include(raw: &str) -> Result<String, &'static str> {
    let mut parts: Vec<&str> = Vec::new();
    for component in Path::new(raw).components() {
        match component {
            Component::Prefix(_) | Component::RootDir => return Err("is absolute"),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err("leaves the repository");
                }
            }
            Component::Normal(part) => match part.to_str() {
                Some(p) => parts.push(p),
                None => return Err("is not UTF-8"),
            },
        }
    }
    if parts.is_empty() {
        return Err("names the repository root itself");
    }
    Ok(parts.join("/"))
}

/// One tar member.
#[derive(Debug)]
enum Entry {
    Dir,
    File { source: PathBuf, executable: bool },
    Data(Vec<u8>),
}

/// The members of one context, keyed (and so sorted) by archive path.
struct Entries<'a> {
    name: &'a str,
    /// Canonical repository root.
    repo: &'a Path,
    map: BTreeMap<String, Entry>,
}

impl Entries<'_> {
    /// Adds a member; a later file replaces an earlier one (taskgraph's dict), but a file
    /// never replaces a directory or the reverse.
    fn put(&mut self, entry_path: &str, entry: Entry) -> Result<(), ContextError> {
        let clash = || ContextError::Clash {
            name: self.name.to_owned(),
            entry: entry_path.to_owned(),
        };
        match (self.map.get(entry_path), &entry) {
            (Some(Entry::Dir), Entry::Dir) => return Ok(()),
            (Some(Entry::Dir), _) | (Some(_), Entry::Dir) => return Err(clash()),
            _ => {}
        }
        self.map.insert(entry_path.to_owned(), entry);
        Ok(())
    }

    /// Adds `entry_path` and every directory above it as directories.
    fn put_dirs(&mut self, entry_path: &str) -> Result<(), ContextError> {
        let mut end = 0;
        for part in entry_path.split('/') {
            end += part.len();
            let dir = entry_path[..end].to_owned();
            self.put(&dir, Entry::Dir)?;
            end += 1;
        }
        Ok(())
    }

    /// Adds everything under `dir` below the archive path `prefix` ("" for the top).
    fn walk(&mut self, dir: &Path, prefix: &str) -> Result<(), ContextError> {
        let io_err = |path: &Path| {
            let path = path.to_owned();
            move |source| ContextError::Io { path, source }
        };
        for item in fs::read_dir(dir).map_err(io_err(dir))? {
            let item = item.map_err(io_err(dir))?;
            let path = item.path();
            let file_name = item.file_name();
            let Some(file_name) = file_name.to_str() else {
                return Err(ContextError::BadFile {
                    path,
                    reason: "the file name is not UTF-8; rename it".to_owned(),
                });
            };
            let entry_path = if prefix.is_empty() {
                file_name.to_owned()
            } else {
                format!("{prefix}/{file_name}")
            };
            let meta = fs::symlink_metadata(&path).map_err(io_err(&path))?;
            if meta.is_dir() {
                self.put(&entry_path, Entry::Dir)?;
                self.walk(&path, &entry_path)?;
            } else if meta.is_file() {
                let executable = is_executable(&meta);
                self.put(
                    &entry_path,
                    Entry::File {
                        source: path,
                        executable,
                    },
                )?;
            } else if meta.file_type().is_symlink() {
                let entry = self.follow(&path)?;
                self.put(&entry_path, entry)?;
            } else {
                return Err(ContextError::BadFile {
                    path,
                    reason: "only regular files and directories can go into a build context (sockets, FIFOs and devices cannot)".to_owned(),
                });
            }
        }
        Ok(())
    }

    /// A symlink is copied as the regular file it leads to, which must be in the repository.
    fn follow(&self, link: &Path) -> Result<Entry, ContextError> {
        let bad = |reason: &str| ContextError::BadFile {
            path: link.to_owned(),
            reason: format!(
                "{reason}; build contexts take symlinks only to regular files inside the repository {}",
                self.repo.display()
            ),
        };
        let target = match fs::canonicalize(link) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(bad("the symlink is dangling"));
            }
            Err(source) => {
                return Err(ContextError::Io {
                    path: link.to_owned(),
                    source,
                });
            }
        };
        if !target.starts_with(self.repo) {
            return Err(bad("the symlink leads outside the repository"));
        }
        let meta = fs::metadata(&target).map_err(|source| ContextError::Io {
            path: target.clone(),
            source,
        })?;
        if !meta.is_file() {
            return Err(bad("the symlink does not lead to a regular file"));
        }
        Ok(Entry::File {
            executable: is_executable(&meta),
            source: target,
        })
    }

    /// Adds the include `rel` (normalised; `raw` as written) under `topsrcdir/`.
    fn include(
        &mut self,
        rel: &str,
        raw: &str,
        line: &Line,
        dockerfile: &Path,
    ) -> Result<(), ContextError> {
        let full = self.repo.join(rel);
        let missing = || ContextError::IncludeMissing {
            include: raw.to_owned(),
            target: full.clone(),
            path: dockerfile.to_owned(),
            line: line.number,
            text: line.text.clone(),
            at: line.at,
        };
        // Canonical, so a symlink on the way cannot lead out of the repository.
        let real = match fs::canonicalize(&full) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(missing()),
            Err(source) => return Err(ContextError::Io { path: full, source }),
        };
        if !real.starts_with(self.repo) {
            return Err(ContextError::IncludeOutside {
                include: raw.to_owned(),
                reason: "leads outside the repository through a symlink",
                path: dockerfile.to_owned(),
                line: line.number,
                repo: self.repo.to_owned(),
                text: line.text.clone(),
                at: line.at,
            });
        }
        let meta = fs::metadata(&real).map_err(|source| ContextError::Io {
            path: real.clone(),
            source,
        })?;
        let entry_path = format!("{TOPSRCDIR}/{rel}");
        if meta.is_dir() {
            self.put_dirs(&entry_path)?;
            self.walk(&real, &entry_path)
        } else if meta.is_file() {
            if let Some((dirs, _)) = entry_path.rsplit_once('/') {
                self.put_dirs(dirs)?;
            }
            self.put(
                &entry_path,
                Entry::File {
                    executable: is_executable(&meta),
                    source: real,
                },
            )
        } else {
            Err(ContextError::BadFile {
                path: full,
                reason: "an include must be a regular file or a directory".to_owned(),
            })
        }
    }

    /// The deterministic tar: sorted members, GNU headers (long names via `././@LongLink`),
    /// mtime 0, uid/gid 0, no user or group names, modes 0755/0644.
    fn write_tar(&self) -> Result<Vec<u8>, ContextError> {
        let mut builder = tar::Builder::new(Vec::new());
        for (entry_path, entry) in &self.map {
            let archive_err = |source| ContextError::Archive {
                name: self.name.to_owned(),
                entry: entry_path.clone(),
                source,
            };
            let mut header = tar::Header::new_gnu();
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(0);
            let (kind, mode, data) = match entry {
                Entry::Dir => (tar::EntryType::Directory, 0o755, Vec::new()),
                Entry::File { source, executable } => {
                    let data = fs::read(source).map_err(|e| ContextError::Io {
                        path: source.clone(),
                        source: e,
                    })?;
                    let mode = if *executable { 0o755 } else { 0o644 };
                    (tar::EntryType::Regular, mode, data)
                }
                Entry::Data(bytes) => (tar::EntryType::Regular, 0o644, bytes.clone()),
            };
            header.set_entry_type(kind);
            header.set_mode(mode);
            header.set_size(data.len() as u64);
            builder
                .append_data(&mut header, entry_path, data.as_slice())
                .map_err(archive_err)?;
        }
        builder
            .into_inner()
            .map_err(|source| ContextError::Archive {
                name: self.name.to_owned(),
                entry: "(end of archive)".to_owned(),
                source,
            })
    }
}

/// Executable by its owner, as taskgraph decides between 0755 and 0644.
#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o100 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A repository with a `taskcluster` graph root; returns (tempdir guard, R).
    fn repo() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("taskcluster");
        fs::create_dir_all(root.join("docker")).unwrap();
        (dir, root)
    }

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn kind(root: &Path, yaml: &str) {
        write(&root.join(KIND_FILE), yaml);
    }

    fn dockerfile(root: &Path, dir: &str, text: &str) {
        write(&root.join("docker").join(dir).join("Dockerfile"), text);
    }

    fn one(root: &Path, name: &str) -> ImageContext {
        let mut all = contexts(root, name).unwrap();
        assert_eq!(all.len(), 1);
        all.pop().unwrap()
    }

    struct Member {
        path: String,
        kind: tar::EntryType,
        mode: u32,
        mtime: u64,
        uid: u64,
        gid: u64,
        user: Vec<u8>,
        group: Vec<u8>,
        data: Vec<u8>,
    }

    fn members(tar_bytes: &[u8]) -> Vec<Member> {
        let mut archive = tar::Archive::new(tar_bytes);
        let mut out = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            let h = entry.header().clone();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            out.push(Member {
                path,
                kind: h.entry_type(),
                mode: h.mode().unwrap(),
                mtime: h.mtime().unwrap(),
                uid: h.uid().unwrap(),
                gid: h.gid().unwrap(),
                user: h.username_bytes().unwrap_or_default().to_vec(),
                group: h.groupname_bytes().unwrap_or_default().to_vec(),
                data,
            });
        }
        out
    }

    fn paths(ctx: &ImageContext) -> Vec<String> {
        members(&ctx.tar).into_iter().map(|m| m.path).collect()
    }

    fn member(ctx: &ImageContext, path: &str) -> Member {
        members(&ctx.tar)
            .into_iter()
            .find(|m| m.path == path)
            .unwrap_or_else(|| panic!("no {path} in {:?}", paths(ctx)))
    }

    #[test]
    fn default_definition_without_kind_file() {
        let (_d, root) = repo();
        dockerfile(&root, "app", "FROM debian:12\nCOPY run.sh /\n");
        write(&root.join("docker/app/run.sh"), "echo hi\n");
        let ctx = one(&root, "app");
        assert_eq!(ctx.name, "app");
        assert_eq!(ctx.parent, None);
        assert!(ctx.context_dir.ends_with("taskcluster/docker/app"));
        assert_eq!(ctx.dockerfile, "FROM debian:12\nCOPY run.sh /\n");
        assert!(ctx.args.is_empty() && ctx.includes.is_empty());
        assert_eq!(paths(&ctx), ["Dockerfile", "run.sh"]);
        let hash = ctx.tag.strip_prefix("tc-local/app:").unwrap();
        assert_eq!(hash.len(), 16);
        assert_eq!(hash, &hex::encode(Sha256::digest(&ctx.tar))[..16]);
    }

    #[test]
    fn kind_entry_without_this_image_uses_the_defaults() {
        let (_d, root) = repo();
        kind(
            &root,
            "loader: taskgraph.loader.transform:loader\ntasks:\n  other: {}\n",
        );
        dockerfile(&root, "app", "FROM scratch\n");
        assert_eq!(one(&root, "app").dockerfile, "FROM scratch\n");
    }

    #[test]
    fn definition_and_args_substitute_at_word_boundaries() {
        let (_d, root) = repo();
        kind(
            &root,
            "tasks:\n  app:\n    definition: shared\n    args:\n      FOO: bar\n      UNUSED: x\n",
        );
        dockerfile(
            &root,
            "shared",
            "RUN echo $FOO\n# %ARG FOO\nRUN echo $FOO $FOOBAR ${FOO} $FOO.x $FOO_1 $FOOé\n",
        );
        let ctx = one(&root, "app");
        assert!(ctx.context_dir.ends_with("docker/shared"));
        // Lines before the `# %ARG` keep `$FOO`; the `# %ARG` line itself is dropped.
        assert_eq!(
            ctx.dockerfile,
            "RUN echo $FOO\nRUN echo bar $FOOBAR ${FOO} bar.x $FOO_1 $FOOé\n"
        );
        assert_eq!(
            ctx.args,
            BTreeMap::from([("FOO".to_owned(), "bar".to_owned())])
        );
        assert_eq!(member(&ctx, "Dockerfile").data, ctx.dockerfile.as_bytes());
    }

    #[test]
    fn task_defaults_merge_under_the_entry() {
        let (_d, root) = repo();
        kind(
            &root,
            "task-defaults:\n  args: {A: one, B: two}\ntasks:\n  app:\n    args: {B: three}\n",
        );
        dockerfile(&root, "app", "# %ARG A\n# %ARG B\nRUN $A $B\n");
        assert_eq!(one(&root, "app").dockerfile, "RUN one three\n");
    }

    #[test]
    fn tasks_from_files_are_searched_after_tasks() {
        let (_d, root) = repo();
        kind(
            &root,
            "tasks-from: [more.yml]\ntask-defaults: {args: {A: k}}\n",
        );
        write(
            &root.join("kinds/docker-image/more.yml"),
            "task-defaults: {args: {B: f}}\napp: {definition: elsewhere}\n",
        );
        dockerfile(&root, "elsewhere", "# %ARG A\n# %ARG B\nRUN $A $B\n");
        assert_eq!(one(&root, "app").dockerfile, "RUN k f\n");
    }

    #[test]
    fn missing_arg_is_named() {
        let (_d, root) = repo();
        kind(&root, "tasks:\n  app:\n    args: {OTHER: x}\n");
        dockerfile(&root, "app", "FROM x\n# %ARG VERSION\n");
        let e = contexts(&root, "app").unwrap_err();
        assert!(
            matches!(&e, ContextError::MissingArg { arg, line: 2, .. } if arg == "VERSION"),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(msg.contains("VERSION") && msg.contains("kind.yml"), "{msg}");
    }

    /// The text an error's snippet marks.
    fn marked(e: &ContextError) -> String {
        use miette::Diagnostic as _;
        let source = e.source_code().unwrap();
        let span = e.labels().unwrap().next().unwrap();
        let contents = source.read_span(span.inner(), 0, 0).unwrap();
        String::from_utf8(contents.data().to_vec()).unwrap()
    }

    #[test]
    fn dockerfile_and_kind_file_errors_mark_their_place() {
        let (d, root) = repo();
        dockerfile(&root, "a", "FROM x\r\n# %ARG VERSION\r\nRUN true\r\n");
        let e = contexts(&root, "a").unwrap_err();
        assert!(
            matches!(e, ContextError::MissingArg { line: 2, .. }),
            "{e:?}"
        );
        assert_eq!(marked(&e), "# %ARG VERSION");
        dockerfile(&root, "b", "FROM x\n# %ARGFOO\n");
        let e = contexts(&root, "b").unwrap_err();
        assert_eq!(marked(&e), "# %ARGFOO");
        dockerfile(&root, "c", "FROM x\n\n# %include nope/file\n");
        let e = contexts(&root, "c").unwrap_err();
        assert!(
            matches!(e, ContextError::IncludeMissing { line: 3, .. }),
            "{e:?}"
        );
        assert_eq!(marked(&e), "# %include nope/file");
        dockerfile(&root, "e", "# %include ../../outside\n");
        let e = contexts(&root, "e").unwrap_err();
        assert!(matches!(e, ContextError::IncludeOutside { .. }), "{e:?}");
        assert_eq!(marked(&e), "# %include ../../outside");
        kind(&root, "tasks:\n  a: {args: [oops}\n");
        let e = contexts(&root, "a").unwrap_err();
        assert!(
            matches!(e, ContextError::KindFile { at: Some(_), .. }),
            "{e:?}"
        );
        let text = fs::read_to_string(root.join(KIND_FILE)).unwrap();
        let ContextError::KindFile { at: Some(at), .. } = &e else {
            unreachable!()
        };
        assert!(at.offset() > text.find("args").unwrap(), "{e:?}");
        drop(d);
    }

    #[test]
    fn malformed_directives_and_bad_kind_values_are_errors() {
        let (_d, root) = repo();
        dockerfile(&root, "a", "# %ARGFOO\n");
        dockerfile(&root, "b", "# %include\n");
        dockerfile(&root, "c", "# %include-run-task\n");
        for name in ["a", "b", "c"] {
            let e = contexts(&root, name).unwrap_err();
            assert!(
                matches!(e, ContextError::Directive { line: 1, .. }),
                "{e:?}"
            );
        }
        kind(
            &root,
            "tasks:\n  d:\n    args: {N: 3}\n  e:\n    definition: ../x\n",
        );
        for name in ["d", "e"] {
            let e = contexts(&root, name).unwrap_err();
            assert!(matches!(e, ContextError::KindFile { .. }), "{e:?}");
        }
        kind(&root, "tasks: [oops\n");
        let e = contexts(&root, "a").unwrap_err();
        assert!(matches!(e, ContextError::KindFile { .. }), "{e:?}");
    }

    #[test]
    fn includes_land_under_topsrcdir() {
        let (d, root) = repo();
        write(&d.path().join("scripts/setup.sh"), "#!/bin/sh\n");
        write(&d.path().join("lib/x/y.txt"), "y\n");
        write(&d.path().join("lib/z.txt"), "z\n");
        kind(&root, "tasks:\n  app:\n    args: {DIR: lib}\n");
        dockerfile(
            &root,
            "app",
            "FROM x\n# %include scripts/./setup.sh\n# %ARG DIR\n# %include $DIR\nCOPY topsrcdir/$DIR /lib\n",
        );
        let ctx = one(&root, "app");
        assert_eq!(ctx.includes, ["scripts/setup.sh", "lib"]);
        assert_eq!(
            ctx.dockerfile,
            "FROM x\n# %include scripts/./setup.sh\n# %include lib\nCOPY topsrcdir/lib /lib\n"
        );
        assert_eq!(
            paths(&ctx),
            [
                "Dockerfile",
                "topsrcdir",
                "topsrcdir/lib",
                "topsrcdir/lib/x",
                "topsrcdir/lib/x/y.txt",
                "topsrcdir/lib/z.txt",
                "topsrcdir/scripts",
                "topsrcdir/scripts/setup.sh",
            ]
        );
        assert_eq!(member(&ctx, "topsrcdir/lib/x/y.txt").data, b"y\n");
    }

    #[test]
    fn includes_outside_the_repository_are_rejected() {
        let (d, root) = repo();
        let outside = tempfile::tempdir().unwrap();
        write(&outside.path().join("secret"), "s\n");
        for (i, include) in ["../etc", "/etc/passwd", "a/../../x", "."]
            .iter()
            .enumerate()
        {
            let name = format!("img{i}");
            dockerfile(&root, &name, &format!("# %include {include}\n"));
            let e = contexts(&root, &name).unwrap_err();
            assert!(
                matches!(&e, ContextError::IncludeOutside { include: inc, .. } if inc == include),
                "{include}: {e:?}"
            );
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(outside.path(), d.path().join("out")).unwrap();
            dockerfile(&root, "link", "# %include out/secret\n");
            let e = contexts(&root, "link").unwrap_err();
            assert!(matches!(e, ContextError::IncludeOutside { .. }), "{e:?}");
        }
        let _ = d;
    }

    #[test]
    fn missing_include_is_an_error() {
        let (_d, root) = repo();
        dockerfile(&root, "app", "FROM x\n# %include nope/file\n");
        let e = contexts(&root, "app").unwrap_err();
        assert!(
            matches!(&e, ContextError::IncludeMissing { include, line: 2, .. } if include == "nope/file"),
            "{e:?}"
        );
        assert!(e.to_string().contains("nope/file"));
    }

    #[test]
    fn missing_root_directory_or_dockerfile_are_errors() {
        let (d, root) = repo();
        let e = contexts(&d.path().join("absent"), "app").unwrap_err();
        assert!(matches!(e, ContextError::GraphRootMissing { .. }), "{e:?}");
        assert!(e.to_string().contains("absent"));

        let e = contexts(&root, "app").unwrap_err();
        assert!(matches!(e, ContextError::ContextDirMissing { .. }), "{e:?}");
        assert!(e.to_string().contains("docker/app"), "{e}");

        fs::create_dir_all(root.join("docker/app")).unwrap();
        write(&root.join("docker/app/other"), "x");
        let e = contexts(&root, "app").unwrap_err();
        assert!(matches!(e, ContextError::DockerfileMissing { .. }), "{e:?}");
        assert!(e.to_string().contains("docker/app/Dockerfile"), "{e}");
    }

    #[test]
    fn parents_come_first_and_fill_docker_image_parent() {
        let (_d, root) = repo();
        kind(
            &root,
            "tasks:\n  base: {}\n  mid: {parent: base}\n  app:\n    parent: mid\n    args: {X: y}\n",
        );
        dockerfile(&root, "base", "FROM debian:12\n");
        let child = "# %ARG DOCKER_IMAGE_PARENT\nFROM $DOCKER_IMAGE_PARENT\n";
        dockerfile(&root, "mid", child);
        dockerfile(&root, "app", &format!("{child}# %ARG X\nRUN $X\n"));
        let all = contexts(&root, "app").unwrap();
        let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["base", "mid", "app"]);
        let (base, mid, app) = (&all[0], &all[1], &all[2]);
        assert_eq!(base.parent, None);
        assert_eq!(mid.parent.as_deref(), Some("base"));
        assert_eq!(app.parent.as_deref(), Some("mid"));
        assert_eq!(mid.dockerfile, format!("FROM {}\n", base.tag));
        assert_eq!(app.dockerfile, format!("FROM {}\nRUN y\n", mid.tag));
        assert_eq!(app.args[PARENT_ARG], mid.tag);
        assert_eq!(app.args["X"], "y");

        // A change in the base reaches every descendant's tag.
        dockerfile(&root, "base", "FROM debian:13\n");
        let again = contexts(&root, "app").unwrap();
        assert_ne!(again[0].tag, base.tag);
        assert_ne!(again[1].tag, mid.tag);
        assert_ne!(again[2].tag, app.tag);
    }

    #[test]
    fn a_context_directory_linked_out_of_the_repository_is_refused() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        let repo = tempfile::tempdir().unwrap();
        let r = repo.path().join("taskcluster");
        std::fs::create_dir_all(r.join("docker")).unwrap();
        std::os::unix::fs::symlink(outside.path(), r.join("docker/app")).unwrap();
        let err = contexts(&r, "app").unwrap_err().to_string();
        assert!(err.contains("outside the repository"), "{err}");
    }

    #[test]
    fn parent_cycles_are_errors() {
        let (_d, root) = repo();
        kind(
            &root,
            "tasks:\n  a: {parent: b}\n  b: {parent: a}\n  s: {parent: s}\n",
        );
        let e = contexts(&root, "a").unwrap_err();
        assert!(matches!(e, ContextError::Cycle { .. }), "{e:?}");
        assert!(e.to_string().contains("a → b → a"), "{e}");
        let e = contexts(&root, "s").unwrap_err();
        assert!(e.to_string().contains("s → s"), "{e}");
    }

    #[test]
    fn names_must_make_docker_tags() {
        let (_d, root) = repo();
        for bad in ["App", "a b", "", "-a", "a..b", "a/b"] {
            let e = contexts(&root, bad).unwrap_err();
            assert!(
                matches!(e, ContextError::InvalidName { .. }),
                "{bad}: {e:?}"
            );
        }
        for good in ["a", "image-builder", "py3.11", "a__b", "a--b"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn builds_are_deterministic() {
        let (d, root) = repo();
        dockerfile(&root, "app", "FROM x\n# %include src\n");
        write(&root.join("docker/app/b/file"), "b\n");
        write(&root.join("docker/app/a"), "a\n");
        write(&d.path().join("src/main.rs"), "fn main() {}\n");
        let first = one(&root, "app");
        let second = one(&root, "app");
        assert_eq!(first.tar, second.tar);
        assert_eq!(first.tag, second.tag);

        // mtimes do not matter...
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        for f in ["docker/app/a", "docker/app/Dockerfile"] {
            fs::File::options()
                .write(true)
                .open(root.join(f))
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        assert_eq!(one(&root, "app").tag, first.tag);

        // ...content does, in the context and in includes.
        write(&root.join("docker/app/a"), "A\n");
        let changed = one(&root, "app");
        assert_ne!(changed.tag, first.tag);
        write(&d.path().join("src/main.rs"), "fn main() { }\n");
        assert_ne!(one(&root, "app").tag, changed.tag);
    }

    #[cfg(unix)]
    #[test]
    fn headers_are_normalised() {
        use std::os::unix::fs::PermissionsExt;
        let (_d, root) = repo();
        dockerfile(&root, "app", "FROM x\n");
        let script = root.join("docker/app/run.sh");
        write(&script, "#!/bin/sh\n");
        fs::set_permissions(&script, fs::Permissions::from_mode(0o700)).unwrap();
        let plain = root.join("docker/app/data.txt");
        write(&plain, "d\n");
        fs::set_permissions(&plain, fs::Permissions::from_mode(0o600)).unwrap();
        let long_dir = format!("{}/{}", "d".repeat(60), "e".repeat(60));
        write(
            &root.join("docker/app").join(&long_dir).join("f.txt"),
            "long\n",
        );
        fs::create_dir_all(root.join("docker/app/empty")).unwrap();

        let ctx = one(&root, "app");
        let all = members(&ctx.tar);
        for m in &all {
            assert_eq!((m.mtime, m.uid, m.gid), (0, 0, 0), "{}", m.path);
            assert!(m.user.is_empty() && m.group.is_empty(), "{}", m.path);
        }
        let got: Vec<(String, u32, bool)> = all
            .iter()
            .map(|m| (m.path.clone(), m.mode, m.kind.is_dir()))
            .collect();
        let d = "d".repeat(60);
        let expect = [
            ("Dockerfile".to_owned(), 0o644, false),
            ("data.txt".to_owned(), 0o644, false),
            (d.clone(), 0o755, true),
            (long_dir.clone(), 0o755, true),
            (format!("{long_dir}/f.txt"), 0o644, false),
            ("empty".to_owned(), 0o755, true),
            ("run.sh".to_owned(), 0o755, false),
        ];
        assert_eq!(got, expect);
        assert_eq!(member(&ctx, &format!("{long_dir}/f.txt")).data, b"long\n");
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_followed_to_files_inside_the_repository() {
        use std::os::unix::fs::symlink;
        let (d, root) = repo();
        write(&d.path().join("shared/conf"), "conf\n");
        dockerfile(&root, "app", "FROM x\n");
        symlink(d.path().join("shared/conf"), root.join("docker/app/conf")).unwrap();
        let ctx = one(&root, "app");
        let m = member(&ctx, "conf");
        assert_eq!(
            (m.kind, m.data.as_slice()),
            (tar::EntryType::Regular, &b"conf\n"[..])
        );

        let outside = tempfile::tempdir().unwrap();
        write(&outside.path().join("f"), "f\n");
        let cases = [
            ("out", outside.path().join("f")),
            ("dir", d.path().join("shared")),
            ("dangling", d.path().join("missing")),
        ];
        for (link, target) in cases {
            let name = format!("bad-{link}");
            dockerfile(&root, &name, "FROM x\n");
            symlink(&target, root.join("docker").join(&name).join(link)).unwrap();
            let e = contexts(&root, &name).unwrap_err();
            assert!(matches!(e, ContextError::BadFile { .. }), "{link}: {e:?}");
        }
    }

    #[test]
    fn crlf_dockerfiles_come_out_with_newlines() {
        let (_d, root) = repo();
        kind(&root, "tasks:\n  app: {args: {V: '1'}}\n");
        dockerfile(&root, "app", "# %ARG V\r\nFROM x:$V\r\nRUN y");
        assert_eq!(one(&root, "app").dockerfile, "FROM x:1\nRUN y");
    }
}
