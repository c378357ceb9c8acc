//! Reading the kinds (taskgraph.md §1.4–1.5) in two steps, so that a big graph never holds all
//! its parsed tasks at once: [`begin`] reads every `kind.yml` without its tasks and checks the
//! kinds; [`Loading::finish`] reads the tasks and hands each one, as soon as it is made, to the
//! caller (the transform), which uses its node up. Big files are read in pieces on all cores
//! (`yaml_split`). Whatever could read differently from one parse of a whole file (an error, a
//! warning, a key in two pieces) is read again whole, so results, errors and warnings are those
//! of a plain serial load.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::kinds::{Kind, KindsError, RawTask, find_cycle, invalid, loader, strings, tasks_of};
use super::merge::merge;
use super::threads;
use super::yaml::{self, Node, Value};
use super::yaml_split::{Piece, split};

/// Loads every kind under `R/kinds` (or only `wanted` and their dependencies) with its tasks.
pub fn load(
    root: &Path,
    wanted: &[String],
    warnings: &mut Vec<String>,
) -> Result<Vec<Kind>, KindsError> {
    Ok(begin(root, wanted, warnings)?
        .finish(warnings, |_, _, _| ())?
        .0)
}

/// The kinds read and checked, their tasks still to make.
pub struct Loading {
    /// The selected kinds in name order, their `tasks` still empty.
    pub kinds: Vec<Kind>,
    /// Where each selected kind's tasks come from.
    sources: Vec<Source>,
    /// The files read in pieces, in directory order.
    cut: Vec<CutFile>,
    /// Each `kind.yml`'s warnings, in directory order (a cut file's come with its pieces).
    file_warnings: Vec<Vec<String>>,
    /// Each selected kind's own warnings, given after every file's.
    kind_warnings: Vec<Vec<String>>,
}

struct Source {
    dir: PathBuf,
    defaults: Option<Node>,
    /// The `tasks` of a `kind.yml` read whole (a cut one's come from its pieces).
    tasks: Option<Node>,
    tasks_from: Vec<String>,
}

impl Source {
    /// The tasks not made yet: `kind.yml`'s read whole, then each `tasks-from` file's.
    fn tasks(&mut self, warnings: &mut Vec<String>) -> Result<Vec<RawTask>, KindsError> {
        let defaults = self.defaults.as_ref();
        let mut tasks = Vec::new();
        if let Some(t) = self.tasks.take() {
            tasks_of(t, defaults, "kind.yml", &mut tasks)?;
        }
        for file in &self.tasks_from {
            let sub = load_yaml(&self.dir.join(file), warnings)?;
            // A file's own task-defaults go on top of the kind's.
            let file_defaults = match (defaults, sub.get("task-defaults")) {
                (Some(k), Some(f)) => Some(merge(k, f)),
                (None, Some(f)) => Some(f.clone()),
                (k, None) => k.cloned(),
            };
            let Value::Map(entries) = &sub.value else {
                return Err(invalid(
                    format!("{file}: expected a mapping of tasks"),
                    Some(&sub),
                ));
            };
            let only_tasks = Node {
                value: Value::Map(
                    entries
                        .iter()
                        .filter(|(k, _)| k.value != Value::Str("task-defaults".into()))
                        .cloned()
                        .collect(),
                ),
                span: sub.span.clone(),
            };
            tasks_of(only_tasks, file_defaults.as_ref(), file, &mut tasks)?;
        }
        Ok(tasks)
    }
}

struct CutFile {
    name: String,
    text: String,
    pieces: Vec<Piece>,
    /// Its place in `file_warnings`.
    file: usize,
    /// The selected kind it holds, if any.
    kind: Option<usize>,
}

/// One piece's tasks, made; `None` when the file must be read whole.
struct PieceTasks<T> {
    keys: Vec<String>,
    tasks: Vec<(RawTask, T)>,
}

/// Reads every `kind.yml` without its tasks and checks the kinds: dependencies, the selection,
/// and the loaders (unsupported kinds refused all at once).
pub fn begin(
    root: &Path,
    wanted: &[String],
    warnings: &mut Vec<String>,
) -> Result<Loading, KindsError> {
    begin_cut(root, wanted, threads() > 1, warnings)
}

/// [`begin`], big files cut when `cut`.
fn begin_cut(
    root: &Path,
    wanted: &[String],
    cut: bool,
    warnings: &mut Vec<String>,
) -> Result<Loading, KindsError> {
    let mut given = Vec::new();
    match begin_with(root, wanted, cut, &mut given) {
        Ok(loading) => Ok(loading),
        // A cut file's tasks were not read yet, and an error in them comes before any check
        // of the kinds: read every file whole for the error a serial load meets first.
        Err((_, true)) => begin_with(root, wanted, false, warnings).map_err(|(e, _)| e),
        Err((e, false)) => {
            warnings.append(&mut given);
            Err(e)
        }
    }
}

/// [`begin_cut`] once. An error says whether a file was cut; the warnings up to it are in
/// `given`.
fn begin_with(
    root: &Path,
    wanted: &[String],
    cut: bool,
    given: &mut Vec<String>,
) -> Result<Loading, (KindsError, bool)> {
    let found = kind_dirs(root);
    let mut file_warnings = Vec::new();
    let mut cut_files: Vec<CutFile> = Vec::new();
    let mut docs: Docs = BTreeMap::new();
    // Results in directory order, so the first error is a serial load's.
    for (i, ((name, dir), read)) in found.iter().zip(read_all(&found, cut)).enumerate() {
        let read = match read {
            Ok(r) => r,
            Err(e) => {
                given.extend(file_warnings.into_iter().flatten());
                return Err((e, !cut_files.is_empty()));
            }
        };
        file_warnings.push(read.doc.warnings);
        let at = read.pieces.map(|pieces| {
            cut_files.push(CutFile {
                name: read.name,
                text: read.text,
                pieces,
                file: i,
                kind: None,
            });
            cut_files.len() - 1
        });
        docs.insert(name.clone(), (dir.clone(), read.doc.node, at));
    }
    match check(docs, wanted, &mut cut_files) {
        Ok((kinds, sources, kind_warnings)) => Ok(Loading {
            kinds,
            sources,
            cut: cut_files,
            file_warnings,
            kind_warnings,
        }),
        Err(e) => {
            given.extend(file_warnings.into_iter().flatten());
            Err((e, !cut_files.is_empty()))
        }
    }
}

/// Each kind's name and directory: the directories under `kinds/` that hold a `kind.yml`, in
/// directory order.
pub fn kind_dirs(root: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(root.join("kinds")) {
        for entry in entries.flatten() {
            let dir = entry.path();
            if dir.join("kind.yml").is_file() {
                found.push((entry.file_name().to_string_lossy().into_owned(), dir));
            }
        }
    }
    found
}

/// One `kind.yml` as read: the whole document, or its head and the pieces of its tasks.
struct Read {
    name: String,
    text: String,
    doc: yaml::Loaded,
    pieces: Option<Vec<Piece>>,
}

/// Every `kind.yml` read, big ones cut when `cut` (their heads parsed, the pieces not yet),
/// the files parsed on all cores.
fn read_all(found: &[(String, PathBuf)], cut: bool) -> Vec<Result<Read, KindsError>> {
    let threads = threads();
    let texts: Vec<Result<(String, String), KindsError>> = found
        .iter()
        .map(|(_, dir)| {
            let path = dir.join("kind.yml");
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok((path.display().to_string(), text)),
                Err(error) => Err(KindsError::Unreadable { path, error }),
            }
        })
        .collect();
    // Pieces small enough that every core gets a dozen or more even when one file holds most
    // tasks (with a few, a core that finishes first waits for the last), and big enough that
    // each is worth a parser.
    let total: usize = texts.iter().flatten().map(|(_, t)| t.len()).sum();
    let piece = (total / (threads * 32)).clamp(8 * 1024, 64 * 1024);
    // Each file is cut and its head parsed on its own core.
    texts
        .into_par_iter()
        .map(|read| {
            let (name, text) = read?;
            let split = cut.then(|| split(&text, piece)).flatten();
            let head = split.as_ref().and_then(|s| yaml::load(&name, &s.head).ok());
            // A head with a warning: the whole file says where.
            let (doc, pieces) = match head.filter(|h| h.warnings.is_empty()) {
                Some(head) => (head, split.map(|s| s.pieces)),
                None => (yaml::load(&name, &text)?, None),
            };
            Ok(Read {
                name,
                text,
                doc,
                pieces,
            })
        })
        .collect()
}

type Checked = (Vec<Kind>, Vec<Source>, Vec<Vec<String>>);

/// Each kind's directory, `kind.yml` and cut file (its place in the cut files), by name.
type Docs = BTreeMap<String, (PathBuf, Node, Option<usize>)>;

/// The kinds from their documents (name → directory, document, cut file): dependencies known
/// and acyclic, only `wanted` and what they need, loaders supported; the kinds' own warnings.
fn check(mut docs: Docs, wanted: &[String], cut: &mut [CutFile]) -> Result<Checked, KindsError> {
    let deps = kind_dependencies(&docs)?;
    let selected = select(&docs, &deps, wanted)?;
    // Every kind is checked before any is loaded: one line per refused kind.
    let mut refused = Vec::new();
    let mut loaders = BTreeMap::new();
    for name in &selected {
        match loader(name, &docs[name].1)? {
            Ok(l) => {
                loaders.insert(name.clone(), l);
            }
            Err(why) => refused.push(why.to_string()),
        }
    }
    if !refused.is_empty() {
        return Err(KindsError::Unsupported(refused));
    }
    let mut kinds = Vec::new();
    let mut sources = Vec::new();
    let mut warnings = Vec::new();
    for name in selected {
        let Some((dir, mut doc, at)) = docs.remove(&name) else {
            continue;
        };
        let mut said = Vec::new();
        for old in ["jobs", "job-defaults", "jobs-from"] {
            if doc.get(old).is_some() {
                let new = old.replace("job", "task");
                said.push(format!(
                    "kind '{name}': '{old}' is ignored by taskgraph>=2.0; rename to '{new}'"
                ));
            }
        }
        warnings.push(said);
        let tasks_from = match doc.get("tasks-from") {
            Some(files) => strings(files, &format!("kind '{name}': tasks-from"))?,
            None => Vec::new(),
        };
        if let Some(i) = at {
            cut[i].kind = Some(kinds.len());
        }
        // Taken out of the document: each task is moved into its merged node, not copied.
        sources.push(Source {
            dir: dir.clone(),
            defaults: take(&mut doc, "task-defaults"),
            tasks: if at.is_none() {
                take(&mut doc, "tasks")
            } else {
                None
            },
            tasks_from,
        });
        kinds.push(Kind {
            loader: loaders[&name],
            dependencies: deps[&name].clone(),
            dir,
            name,
            tasks: Vec::new(),
        });
    }
    Ok((kinds, sources, warnings))
}

/// Each kind's `kind-dependencies`, every one a kind that exists, with no cycle.
fn kind_dependencies(docs: &Docs) -> Result<BTreeMap<String, Vec<String>>, KindsError> {
    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, (_, doc, _)) in docs {
        let list = match doc.get("kind-dependencies") {
            Some(n) => {
                let list = strings(n, &format!("kind '{name}': kind-dependencies"))?;
                for (i, d) in list.iter().enumerate() {
                    if !docs.contains_key(d) {
                        let available: Vec<String> =
                            docs.keys().map(|k| format!(" - \"{k}\"")).collect();
                        let at = match &n.value {
                            Value::Seq(items) => items.get(i),
                            _ => Some(n),
                        };
                        return Err(invalid(
                            format!(
                                "could not find the kind \"{d}\"\navailable kinds:\n{}",
                                available.join("\n")
                            ),
                            at,
                        ));
                    }
                }
                list
            }
            None => Vec::new(),
        };
        deps.insert(name.clone(), list);
    }
    if let Some(cycle) = find_cycle(&deps) {
        return Err(invalid(
            format!("kind dependencies form a cycle: {}", cycle.join(" -> ")),
            None,
        ));
    }
    Ok(deps)
}

/// The kinds to load: `wanted` and what they depend on (--target-kind), or every kind.
fn select(
    docs: &Docs,
    deps: &BTreeMap<String, Vec<String>>,
    wanted: &[String],
) -> Result<BTreeSet<String>, KindsError> {
    if wanted.is_empty() {
        return Ok(docs.keys().cloned().collect());
    }
    let mut set = BTreeSet::new();
    let mut stack: Vec<String> = wanted.to_vec();
    while let Some(k) = stack.pop() {
        if !docs.contains_key(&k) {
            return Err(invalid(format!("could not find the kind \"{k}\""), None));
        }
        if set.insert(k.clone()) {
            stack.extend(deps[&k].iter().cloned());
        }
    }
    Ok(set)
}

impl Loading {
    /// Reads the tasks: each, once made (its defaults merged), goes through `make` (with its
    /// kind and the kind's index in `kinds`) on one of the cores; what `make` returns comes
    /// back beside the kind's tasks, in their order. `make` may take the task's node.
    pub fn finish<T: Send>(
        self,
        warnings: &mut Vec<String>,
        make: impl Fn(usize, &Kind, &mut RawTask) -> T + Sync,
    ) -> Result<(Vec<Kind>, Vec<Vec<T>>), KindsError> {
        let Loading {
            mut kinds,
            mut sources,
            cut,
            mut file_warnings,
            kind_warnings,
        } = self;
        // The pieces, read and their tasks made on all cores.
        let jobs: Vec<(&CutFile, &Piece)> = cut
            .iter()
            .flat_map(|c| c.pieces.iter().map(move |p| (c, p)))
            .collect();
        let read: Vec<Option<PieceTasks<T>>> = jobs
            .par_iter()
            .map(|(file, piece)| piece_tasks(file, piece, &kinds, &sources, &make))
            .collect();
        let mut read = read.into_iter();
        let mut from_pieces: Vec<Vec<PieceTasks<T>>> = kinds.iter().map(|_| Vec::new()).collect();
        for file in &cut {
            let pieces: Vec<Option<PieceTasks<T>>> =
                read.by_ref().take(file.pieces.len()).collect();
            let mut seen = rustc_hash::FxHashSet::default();
            let usable = pieces.iter().all(|p| {
                p.as_ref()
                    .is_some_and(|p| p.keys.iter().all(|k| seen.insert(k.as_str())))
            });
            if usable {
                if let Some(k) = file.kind {
                    from_pieces[k] = pieces.into_iter().flatten().collect();
                }
                continue;
            }
            // Read whole: its error, or its warnings and tasks as one parse gives them.
            let loaded = match yaml::load(&file.name, &file.text) {
                Ok(l) => l,
                Err(e) => {
                    warnings.extend(file_warnings.into_iter().take(file.file).flatten());
                    return Err(e.into());
                }
            };
            file_warnings[file.file] = loaded.warnings;
            if let Some(k) = file.kind {
                let mut doc = loaded.node;
                sources[k].tasks = take(&mut doc, "tasks");
            }
        }
        warnings.extend(file_warnings.into_iter().flatten());
        // The tasks not made yet, kind by kind: `kind.yml`'s read whole, then `tasks-from`.
        let mut pending: Vec<Vec<RawTask>> = Vec::with_capacity(kinds.len());
        for (source, said) in sources.iter_mut().zip(kind_warnings) {
            warnings.extend(said);
            pending.push(source.tasks(warnings)?);
        }
        // Made on all cores, in chunks.
        let mut chunks: Vec<(usize, &mut [RawTask])> = Vec::new();
        for (k, tasks) in pending.iter_mut().enumerate() {
            chunks.extend(tasks.chunks_mut(64).map(|c| (k, c)));
        }
        let made: Vec<Vec<T>> = chunks
            .into_par_iter()
            .map(|(k, chunk)| chunk.iter_mut().map(|t| make(k, &kinds[k], t)).collect())
            .collect();
        let mut made = made.into_iter().flatten();
        let mut results = Vec::with_capacity(kinds.len());
        for ((kind, pieces), tasks) in kinds.iter_mut().zip(from_pieces).zip(pending) {
            let count = pieces.iter().map(|p| p.tasks.len()).sum::<usize>() + tasks.len();
            let mut out = Vec::with_capacity(count);
            kind.tasks.reserve(count);
            for (raw, t) in pieces.into_iter().flat_map(|p| p.tasks) {
                kind.tasks.push(raw);
                out.push(t);
            }
            out.extend(made.by_ref().take(tasks.len()));
            kind.tasks.extend(tasks);
            results.push(out);
        }
        Ok((kinds, results))
    }
}

/// The tasks of one piece, each made as soon as it is read; `None` when the piece could read
/// differently from the whole file.
fn piece_tasks<T>(
    file: &CutFile,
    piece: &Piece,
    kinds: &[Kind],
    sources: &[Source],
    make: &(impl Fn(usize, &Kind, &mut RawTask) -> T + Sync),
) -> Option<PieceTasks<T>> {
    let entries = piece.entries(&file.name)?;
    let mut keys = Vec::with_capacity(entries.len());
    for (k, _) in &entries {
        // Other keys (`yes:`, `1:`) are left to the whole parse, which knows them.
        let Value::Str(name) = &k.value else {
            return None;
        };
        keys.push(name.clone());
    }
    let mut tasks = Vec::new();
    if let Some(k) = file.kind {
        let defaults = sources[k].defaults.as_ref();
        tasks.reserve(entries.len());
        for (key, task) in entries {
            let mut raw = RawTask::new(key, task, defaults, "kind.yml");
            let made = make(k, &kinds[k], &mut raw);
            tasks.push((raw, made));
        }
    }
    Some(PieceTasks { keys, tasks })
}

fn load_yaml(path: &Path, warnings: &mut Vec<String>) -> Result<Node, KindsError> {
    let text = std::fs::read_to_string(path).map_err(|error| KindsError::Unreadable {
        path: path.to_owned(),
        error,
    })?;
    let loaded = yaml::load(&path.display().to_string(), &text)?;
    warnings.extend(loaded.warnings);
    Ok(loaded.node)
}

/// The value of a string key of a mapping, removed from it.
fn take(doc: &mut Node, key: &str) -> Option<Node> {
    let Value::Map(pairs) = &mut doc.value else {
        return None;
    };
    let i = pairs
        .iter()
        .position(|(k, _)| matches!(&k.value, Value::Str(s) if s == key))?;
    Some(pairs.remove(i).1)
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    /// The kinds (as debug text) and what was made of each task, or the error.
    type Outcome = Result<(String, Vec<Vec<usize>>), KindsError>;

    /// A kind big enough to be cut, and a small one.
    fn repo(tasks: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let kinds = dir.path().join("kinds");
        for name in ["big", "small"] {
            std::fs::create_dir_all(kinds.join(name)).unwrap();
        }
        std::fs::write(kinds.join("big/kind.yml"), tasks).unwrap();
        std::fs::write(
            kinds.join("small/kind.yml"),
            "loader: taskgraph.loader.transform:loader\ntransforms: [taskgraph.transforms.task:transforms]\ntasks-from: [more.yml]\ntasks:\n  s1: {description: s}\n",
        )
        .unwrap();
        std::fs::write(kinds.join("small/more.yml"), "s2: {description: t}\n").unwrap();
        dir
    }

    fn big(head: &str, count: usize) -> String {
        let mut text = format!(
            "loader: taskgraph.loader.transform:loader\ntransforms: [taskgraph.transforms.task:transforms]\n{head}task-defaults:\n  worker-type: t\ntasks:\n"
        );
        for i in 0..count {
            let _ = write!(
                text,
                "  t{i}:\n    description: \"task {i}\"\n    attributes: {{n: {i}, on: yes}}\n"
            );
        }
        text
    }

    /// Kinds, tasks and warnings (or the error), with the big file cut or read whole.
    fn load_as(root: &Path, cut: bool) -> (Outcome, Vec<String>, bool) {
        let mut warnings = Vec::new();
        let mut was_cut = false;
        let result = match begin_cut(root, &[], cut, &mut warnings) {
            Ok(loading) => {
                was_cut = !loading.cut.is_empty();
                loading
                    .finish(&mut warnings, |k, _, raw| {
                        let line = raw.key_span.line as usize;
                        raw.take_node();
                        k * 1_000_000 + line
                    })
                    .map(|(kinds, made)| (format!("{kinds:?}"), made))
            }
            Err(e) => Err(e),
        };
        (result, warnings, was_cut)
    }

    fn same_either_way(text: &str) -> (Outcome, Vec<String>) {
        let dir = repo(text);
        let (cut, cut_warnings, was_cut) = load_as(dir.path(), true);
        let (whole, whole_warnings, _) = load_as(dir.path(), false);
        assert!(was_cut || cut.is_err(), "the big file is cut");
        // As text: an error need not be comparable.
        assert_eq!(format!("{cut:?}"), format!("{whole:?}"));
        assert_eq!(cut_warnings, whole_warnings);
        (cut, cut_warnings)
    }

    #[test]
    fn a_cut_file_loads_as_the_whole_file() {
        let (loaded, warnings) = same_either_way(&big("", 3000));
        let (_, made) = loaded.unwrap();
        assert_eq!(made[0].len(), 3000);
        // Each task was made with its own position in the file.
        assert_eq!(made[0][2999], 6 + 3 * 2999);
        assert_eq!(made[1].len(), 2);
        assert!(warnings.is_empty());
    }

    #[test]
    fn a_key_in_two_pieces_reads_as_one_parse_reads_it() {
        let text = big("", 3000).replace("  t2900:\n", "  t5:\n");
        let (loaded, warnings) = same_either_way(&text);
        assert_eq!(loaded.unwrap().1[0].len(), 2999);
        assert!(warnings.iter().any(|w| w.contains("t5")), "{warnings:?}");
    }

    #[test]
    fn an_error_among_the_tasks_comes_before_a_check_of_the_kinds() {
        let broken = big("", 3000).replace("  t2900:\n", "  t2900: [\n");
        let (loaded, _) = same_either_way(&broken);
        let Err(KindsError::Yaml(e)) = loaded else {
            panic!("{loaded:?}")
        };
        // Where the broken task is (line 8706), in the big kind's file.
        assert!(
            e.span.file.ends_with("big/kind.yml") && (8706..8710).contains(&e.span.line),
            "{e}"
        );
        // With a bad kind-dependency too, the YAML error still comes first.
        let both = broken.replace(
            "task-defaults:",
            "kind-dependencies: [nowhere]\ntask-defaults:",
        );
        let (loaded, _) = same_either_way(&both);
        assert!(
            matches!(loaded, Err(KindsError::Yaml(ref e)) if !e.message.contains("nowhere")),
            "{loaded:?}"
        );
    }
}
