//! A big `kind.yml` read in pieces on several cores. Parsing is most of the time a big graph
//! takes to load, and one file usually holds most of the tasks. The top-level `tasks` mapping is
//! cut at task keys into pieces that parse on their own; every piece is padded with empty lines
//! so positions stay those of the file. Only plain files are cut (no anchors, tabs, directives,
//! odd line breaks), and the pieces are joined only when nothing could differ from one parse of
//! the whole (no warnings, no key in two pieces); otherwise the caller parses the whole file.
//! A cut inside a quoted scalar or a flow collection leaves a piece that ends inside it, which
//! fails to parse, so it falls back too.

use std::collections::HashSet;

use super::yaml::{Loaded, Node, Value};

/// The texts to parse: the file without the tasks first, then the pieces of `tasks`. `None`
/// when the file is small or not one tc cuts.
pub fn split(text: &str, piece: usize) -> Option<Vec<String>> {
    // The ASCII ones by memchr; the others only matter in a file that is not all ASCII.
    let odd = memchr::memchr3(b'&', b'\t', b'\r', text.as_bytes()).is_some()
        || (!text.is_ascii() && text.contains(['\u{85}', '\u{2028}', '\u{2029}', '\u{feff}']));
    if text.len() < 2 * piece || odd {
        return None;
    }
    // Lines as (start offset, text without the line feed).
    let mut lines = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        lines.push((start, line.strip_suffix('\n').unwrap_or(line)));
        start += line.len();
    }
    let tasks_line = lines
        .iter()
        .position(|(_, l)| l.trim_end_matches(' ') == "tasks:")?;
    if lines[..tasks_line].iter().any(|(_, l)| l.starts_with('%')) {
        return None;
    }
    let body = tasks_line + 1;
    // The body ends at the next line that starts in column 1 (not a comment).
    let end = lines[body..]
        .iter()
        .position(|(_, l)| l.starts_with(|c: char| c != ' ' && c != '#'))
        .map_or(lines.len(), |i| body + i);
    let content = |l: &str| {
        let t = l.trim_start_matches(' ');
        (!t.is_empty() && !t.starts_with('#')).then_some(l.len() - t.len())
    };
    let indent = lines[body..end].iter().find_map(|(_, l)| content(l))?;
    // A task key alone on its line: `<indent>name:`.
    let is_key = |l: &str| {
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
    let mut cuts = Vec::new();
    let mut piece_start = None;
    for (i, (offset, l)) in lines.iter().enumerate().take(end).skip(body) {
        match content(l) {
            Some(n) if n < indent => return None,
            Some(n) if n == indent && is_key(l) => match piece_start {
                None => piece_start = Some(*offset),
                Some(s) if offset - s >= piece => {
                    cuts.push(i);
                    piece_start = Some(*offset);
                }
                Some(_) => {}
            },
            _ => {}
        }
    }
    if cuts.is_empty()
        || !is_key(
            lines[body..end]
                .iter()
                .find(|(_, l)| content(l).is_some())?
                .1,
        )
    {
        return None;
    }
    let offset = |i: usize| lines.get(i).map_or(text.len(), |(o, _)| *o);
    let newlines = |n: usize| "\n".repeat(n);
    let mut parts = Vec::with_capacity(cuts.len() + 2);
    // The file without the tasks: `tasks:` is null there.
    parts.push(format!(
        "{}{}{}",
        &text[..offset(body)],
        newlines(end - body),
        &text[offset(end)..]
    ));
    let mut from = body;
    for to in cuts.into_iter().chain([end]) {
        parts.push(format!(
            "{}tasks:{}{}",
            newlines(tasks_line),
            newlines(from - tasks_line),
            &text[offset(from)..offset(to)]
        ));
        from = to;
    }
    Some(parts)
}

/// The whole document from the parsed parts of [`split`], or `None` when it could differ from
/// one parse of the file.
pub fn join(mut parts: Vec<Loaded>) -> Option<Loaded> {
    if parts.iter().any(|p| !p.warnings.is_empty()) {
        return None;
    }
    let pieces = parts.split_off(1);
    let mut head = parts.pop()?;
    let mut entries = Vec::new();
    let mut span = None;
    let mut seen = HashSet::new();
    for piece in pieces {
        let Value::Map(mut top) = piece.node.value else {
            return None;
        };
        let (_, tasks) = top.pop().filter(|_| top.is_empty())?;
        let Value::Map(tasks_entries) = tasks.value else {
            return None;
        };
        span.get_or_insert(tasks.span);
        for (k, v) in tasks_entries {
            match &k.value {
                Value::Str(name) if seen.insert(name.clone()) => entries.push((k, v)),
                _ => return None,
            }
        }
    }
    let Value::Map(top) = &mut head.node.value else {
        return None;
    };
    let slot = top
        .iter_mut()
        .find(|(k, _)| k.value == Value::Str("tasks".into()))
        .map(|(_, v)| v)
        .filter(|v| v.value == Value::Null)?;
    *slot = Node {
        value: Value::Map(entries),
        span: span?,
    };
    Some(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::yaml::load;

    fn same_as_whole(text: &str, piece: usize) -> bool {
        let parts = split(text, piece).expect("cut");
        let loaded: Vec<Loaded> = parts.iter().map(|p| load("f", p).unwrap()).collect();
        let joined = join(loaded).expect("joined");
        joined.node == load("f", text).unwrap().node
    }

    #[test]
    fn pieces_join_to_the_whole() {
        let mut text = String::from("---\nloader: x\ntask-defaults:\n  a: 1\ntasks:\n");
        for i in 0..50 {
            text.push_str(&format!(
                "  t{i}:\n    description: \"t {i}\"\n    # note\n    run: {{a: [1, 2], b: x}}\n    script: |\n      echo {i}\n\n"
            ));
        }
        text.push_str("# end\nkind-dependencies: [b]\n");
        assert!(same_as_whole(&text, 200));
        // Too small, anchors, or no cut point: no pieces.
        assert!(split(&text, text.len()).is_none());
        assert!(split(&text.replace("x}", "&y x}"), 200).is_none());
        // A key twice: left to the whole parse (which warns).
        let twice = text.replace("  t40:", "  t1:");
        let parts = split(&twice, 200).unwrap();
        let loaded: Vec<Loaded> = parts.iter().map(|p| load("f", p).unwrap()).collect();
        assert!(join(loaded).is_none());
    }

    #[test]
    fn a_cut_inside_a_flow_collection_does_not_join() {
        let mut text = String::from("tasks:\n");
        for i in 0..40 {
            text.push_str(&format!("  t{i}:\n    d: {i}\n"));
        }
        // Lines at the task indentation that continue a flow mapping.
        let text = text.replace("  t20:\n    d: 20\n", "  t20: {a: 1,\n  t21x:\n    }\n");
        if let Some(parts) = split(&text, 40) {
            let loaded: Result<Vec<Loaded>, _> = parts.iter().map(|p| load("f", p)).collect();
            if let Ok(loaded) = loaded {
                if let Some(joined) = join(loaded) {
                    assert_eq!(joined.node, load("f", &text).unwrap().node);
                }
            }
        }
    }
}
