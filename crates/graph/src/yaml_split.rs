//! A big `kind.yml` read in pieces on several cores. Parsing is most of the time a big graph
//! takes to load, and one file usually holds most of the tasks. The top-level `tasks` mapping is
//! cut at task keys into pieces that parse on their own, each as `tasks: {…}` with its
//! positions moved back to the file's. Only plain files are cut (no anchors, tabs, directives,
//! odd line breaks), and a piece is used only when nothing could differ from one parse of the
//! whole (no error, no warning, no key in two pieces); otherwise the caller parses the whole
//! file. A cut inside a quoted scalar or a flow collection leaves a piece that ends inside it,
//! which fails to parse, so it falls back too.

use super::yaml::{Node, Value, load};

/// The file without its tasks, and the tasks in pieces of about `piece` bytes. `None` when the
/// file is small or not one tc cuts.
pub fn split(text: &str, piece: usize) -> Option<Split> {
    // The ASCII ones by memchr; the others only matter in a file that is not all ASCII.
    let odd = memchr::memchr3(b'&', b'\t', b'\r', text.as_bytes()).is_some()
        || (!text.is_ascii() && text.contains(['\u{85}', '\u{2028}', '\u{2029}', '\u{feff}']));
    if text.len() < 2 * piece || odd {
        return None;
    }
    // `tasks:`, with no directive before it; its body starts on the next line, `body_line`,
    // at byte `at`.
    let mut body_line = 0;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        body_line += 1;
        at += line.len();
        let l = line.strip_suffix('\n').unwrap_or(line);
        if l.starts_with('%') {
            return None;
        }
        if l.trim_end_matches(' ') == "tasks:" {
            break;
        }
    }
    // A task key alone on its line: `<indent>name:`.
    let is_key = |l: &str, indent: usize| {
        l.len() > indent
            && l.as_bytes()[indent] != b' '
            && l[indent..]
                .trim_end_matches(' ')
                .strip_suffix(':')
                .is_some_and(|k| {
                    !k.is_empty()
                        && k.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
                })
    };
    // The body, from line `body_line` at byte `at`, ends at the next line that starts in column
    // 1 (not a comment). It is cut at task keys, every `piece` bytes or so: cuts as (line,
    // offset). Most lines are inside a task: only their first bytes are looked at.
    let body = (body_line, at);
    let mut end = None;
    let mut indent = None;
    let mut cuts = Vec::new();
    let mut piece_start = None;
    let bytes = text.as_bytes();
    let mut line = body_line;
    while at < bytes.len() {
        let (i, offset) = (line, at);
        let stop = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |k| at + k);
        let l = &text[offset..stop];
        at = stop + 1;
        line += 1;
        let n = l.bytes().take_while(|&b| b == b' ').count();
        match l.as_bytes().get(n) {
            // Blank or a comment.
            None | Some(b'#') => continue,
            Some(_) if n == 0 => {
                end = Some((i, offset));
                break;
            }
            Some(_) => {}
        }
        let indent = match indent {
            Some(k) => k,
            // The first task's key: its indentation is every task key's.
            None if is_key(l, n) => *indent.insert(n),
            None => return None,
        };
        if n < indent {
            return None;
        }
        if n == indent && is_key(l, indent) {
            match piece_start {
                None => piece_start = Some(offset),
                Some(s) if offset - s >= piece => {
                    cuts.push((i, offset));
                    piece_start = Some(offset);
                }
                Some(_) => {}
            }
        }
    }
    if indent.is_none() || cuts.is_empty() {
        return None;
    }
    let end = end.unwrap_or((line, text.len()));
    // The file without the tasks: `tasks:` is null there. Blank lines keep the later lines'
    // positions.
    let head = format!(
        "{}{}{}",
        &text[..body.1],
        "\n".repeat(end.0 - body.0),
        &text[end.1..]
    );
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut from = body;
    for to in cuts.into_iter().chain([end]) {
        // Line 2 of the piece is line `from + 1` of the file.
        pieces.push(Piece {
            text: format!("tasks:\n{}", &text[from.1..to.1]),
            shift: u32::try_from(from.0 - 1).ok()?,
        });
        from = to;
    }
    Some(Split { head, pieces })
}

/// A file cut by [`split`].
pub struct Split {
    /// The file without the tasks (`tasks:` is null), positions as in the file.
    pub head: String,
    pub pieces: Vec<Piece>,
}

/// Some of the tasks, as the document `tasks: {…}`.
pub struct Piece {
    pub text: String,
    /// Lines to add to a position in `text` to make it the file's.
    pub shift: u32,
}

impl Piece {
    /// The `{key: task}` entries of the piece, positions as in the file, or `None` when the
    /// piece could read differently from the whole file (an error, a warning, not a mapping).
    pub fn entries(&self, file: &str) -> Option<Vec<(Node, Node)>> {
        let loaded = load(file, &self.text).ok()?;
        if !loaded.warnings.is_empty() {
            return None;
        }
        let Value::Map(mut top) = loaded.node.value else {
            return None;
        };
        let (_, tasks) = top.pop().filter(|_| top.is_empty())?;
        let Value::Map(mut entries) = tasks.value else {
            return None;
        };
        for (k, v) in &mut entries {
            shift(k, self.shift);
            shift(v, self.shift);
        }
        Some(entries)
    }
}

fn shift(node: &mut Node, lines: u32) {
    node.span.line += lines;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| shift(n, lines)),
        Value::Map(pairs) => pairs.iter_mut().for_each(|(k, v)| {
            shift(k, lines);
            shift(v, lines);
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;
    use crate::yaml::load;

    /// The head with the pieces' tasks put back, as the loader uses them: `None` when a piece
    /// is refused or a key is in two pieces.
    fn joined(split: &Split) -> Option<Node> {
        let mut head = load("f", &split.head).unwrap().node;
        let mut entries = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for piece in &split.pieces {
            for (k, v) in piece.entries("f")? {
                match &k.value {
                    Value::Str(name) if seen.insert(name.clone()) => entries.push((k, v)),
                    _ => return None,
                }
            }
        }
        let Value::Map(top) = &mut head.value else {
            return None;
        };
        let slot = top
            .iter_mut()
            .find(|(k, _)| k.value == Value::Str("tasks".into()))?;
        slot.1 = Node {
            span: entries.first()?.0.span.clone(),
            value: Value::Map(entries),
        };
        Some(head)
    }

    fn same_as_whole(text: &str, piece: usize) -> bool {
        let split = split(text, piece).expect("cut");
        joined(&split).expect("joined") == load("f", text).unwrap().node
    }

    #[test]
    fn pieces_join_to_the_whole() {
        let mut text = String::from("---\nloader: x\ntask-defaults:\n  a: 1\ntasks:\n");
        for i in 0..50 {
            let _ = write!(
                text,
                "  t{i}:\n    description: \"t {i}\"\n    # note\n    run: {{a: [1, 2], b: x}}\n    script: |\n      echo {i}\n\n"
            );
        }
        text.push_str("# end\nkind-dependencies: [b]\n");
        assert!(same_as_whole(&text, 200));
        // Too small, anchors, or no cut point: no pieces.
        assert!(split(&text, text.len()).is_none());
        assert!(split(&text.replace("x}", "&y x}"), 200).is_none());
        // A key twice: left to the whole parse (which warns).
        let twice = text.replace("  t40:", "  t1:");
        assert!(joined(&split(&twice, 200).unwrap()).is_none());
    }

    #[test]
    fn a_cut_inside_a_flow_collection_does_not_join() {
        let mut text = String::from("tasks:\n");
        for i in 0..40 {
            let _ = write!(text, "  t{i}:\n    d: {i}\n");
        }
        // Lines at the task indentation that continue a flow mapping.
        let text = text.replace("  t20:\n    d: 20\n", "  t20: {a: 1,\n  t21x:\n    }\n");
        let whole = load("f", &text).unwrap().node;
        let split = split(&text, 40).expect("cut");
        // Some piece ends inside the flow mapping: it is refused, never read differently.
        assert!(split.pieces.iter().any(|p| p.entries("f").is_none()));
        if let Some(joined) = joined(&split) {
            assert_eq!(joined, whole);
        }
    }
}
