//! The quick path of [`super::yaml::load`]: a hand-written reader for the YAML that kind files
//! are nearly all made of — block mappings and sequences indented with spaces, one-line plain
//! and quoted scalars, one-line flow collections, comments. A general parser spends most of a
//! big graph's load on its token machinery; this reads such a file several times faster.
//! Anything else (anchors, tags, block scalars, multi-line scalars or flows, tabs, empty
//! values, duplicate keys, odd characters, errors) gives `None`, and the general path reads
//! the file as always, so values, positions, warnings and errors never depend on this path.

use super::yaml::{
    MAX_DEPTH, MAX_NODES, Node, Span, Value, empty_document, simple_map, simple_scalar,
};

/// Where [`Reader::content_line`] stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// A line with content, at this indentation.
    At(usize),
    /// The end of the text.
    End,
}

/// The document (null when it is empty); `None` when the general path must read it.
pub(super) fn compose(file: &'static str, text: &str) -> Option<Node> {
    if !plain_text(text) {
        return None;
    }
    let mut r = Reader {
        file,
        text,
        b: text.as_bytes(),
        pos: 0,
        line: 1,
        line_start: 0,
        nodes: 0,
        markers: false,
        ascii: text.is_ascii(),
    };
    // One leading `---` line, as a kind file may start.
    r.markers = true;
    let Line::At(indent) = r.content_line()? else {
        return Some(empty_document(file));
    };
    r.markers = false;
    if indent == 0 && r.at_marker(b"---") {
        r.pos += 3;
        r.end_of_line()?;
    }
    let Line::At(indent) = r.content_line()? else {
        return Some(empty_document(file));
    };
    let root = r.block(indent, 0)?;
    match r.content_line()? {
        Line::End => Some(root),
        Line::At(_) => None,
    }
}

/// Text the quick path may read: no tab, carriage return, byte-order mark or character PyYAML
/// refuses (those take the general path for their errors or their rules).
fn plain_text(text: &str) -> bool {
    // Folded without stopping, a block at a time, so the compiler vectorises it.
    let odd = |c: u8| (c < 0x20 && c != b'\n') || (c == 0x7f);
    if text
        .as_bytes()
        .chunks(64)
        .any(|block| block.iter().fold(false, |seen, &c| seen | odd(c)))
    {
        return false;
    }
    text.is_ascii()
        || text.chars().all(|c| {
            c.is_ascii()
                || matches!(c, '\u{a0}'..='\u{2027}' | '\u{202a}'..='\u{d7ff}' | '\u{e000}'..='\u{fefe}' | '\u{ff00}'..='\u{fffd}' | '\u{10000}'..)
        })
}

/// Bytes a key may take up to its `:`: PyYAML and the general path allow 1024 characters.
const LONGEST_KEY: usize = 1000;

struct Reader<'t> {
    file: &'static str,
    text: &'t str,
    b: &'t [u8],
    pos: usize,
    /// The 1-based line of `pos`, and where that line starts.
    line: u32,
    line_start: usize,
    nodes: u64,
    /// Whether [`Reader::content_line`] may stop at a document marker.
    markers: bool,
    /// Whether the text is all ASCII, where a column is a byte count.
    ascii: bool,
}

/// A plain scalar cannot start with an indicator; these can (and `-`, `?`, `:` before a
/// non-space, of which only `-` is taken here).
fn plain_start(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"/._~$^()+=<\\;".contains(&c) || c >= 0x80
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.b.get(self.pos + ahead).copied()
    }

    fn span(&self, at: usize) -> Span {
        // Columns count characters, as the general path's do.
        let col = if self.ascii {
            at - self.line_start
        } else {
            self.text[self.line_start..at].chars().count()
        };
        Span {
            file: self.file,
            line: self.line,
            col: u32::try_from(col + 1).ok().unwrap_or(u32::MAX),
        }
    }

    fn node(&mut self, value: Value, span: Span) -> Option<Node> {
        self.nodes += 1;
        (self.nodes <= MAX_NODES).then_some(Node { value, span })
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// Whether the line starting at `pos` is `---`/`...` (a document marker).
    fn at_marker(&self, marker: &[u8]) -> bool {
        self.b[self.pos..].starts_with(marker)
            && matches!(self.peek_at(marker.len()), None | Some(b' ' | b'\n'))
    }

    /// Past blank and comment lines to the next line with content: its indentation, `pos` at
    /// the line's start; `End` at the end. `pos` must be at a line start.
    fn content_line(&mut self) -> Option<Line> {
        loop {
            if self.pos >= self.b.len() {
                return Some(Line::End);
            }
            let rest = &self.b[self.pos..];
            let indent = rest.iter().take_while(|&&c| c == b' ').count();
            match rest.get(indent) {
                None => {
                    self.pos = self.b.len();
                    return Some(Line::End);
                }
                Some(b'\n') => self.next_line(self.pos + indent),
                Some(b'#') => {
                    let end = memchr::memchr(b'\n', rest).map_or(self.b.len(), |i| self.pos + i);
                    if end == self.b.len() {
                        self.pos = end;
                        return Some(Line::End);
                    }
                    self.next_line(end);
                }
                Some(_) => {
                    // A second document, or its end, is for the general path.
                    if indent == 0
                        && !self.markers
                        && (self.at_marker(b"---") || self.at_marker(b"..."))
                    {
                        return None;
                    }
                    return Some(Line::At(indent));
                }
            }
        }
    }

    /// To the start of the line after the line feed at `feed`.
    fn next_line(&mut self, feed: usize) {
        self.pos = feed + 1;
        self.line += 1;
        self.line_start = self.pos;
    }

    /// Spaces, an optional comment, then the line's end (or the text's).
    fn end_of_line(&mut self) -> Option<()> {
        let before = self.pos;
        self.skip_spaces();
        match self.peek() {
            None => Some(()),
            Some(b'\n') => {
                self.next_line(self.pos);
                Some(())
            }
            Some(b'#') if self.pos > before => {
                match memchr::memchr(b'\n', &self.b[self.pos..]) {
                    Some(i) => self.next_line(self.pos + i),
                    None => self.pos = self.b.len(),
                }
                Some(())
            }
            _ => None,
        }
    }

    /// Whether `pos` is at a block sequence's `-`.
    fn at_dash(&self) -> bool {
        self.dash_at(0)
    }

    /// Whether a block sequence's `-` is `ahead` of `pos`.
    fn dash_at(&self, ahead: usize) -> bool {
        self.peek_at(ahead) == Some(b'-')
            && matches!(self.peek_at(ahead + 1), None | Some(b' ' | b'\n'))
    }

    /// The block collection whose first line starts at `pos` with `indent` spaces.
    fn block(&mut self, indent: usize, depth: u32) -> Option<Node> {
        if depth + 8 >= MAX_DEPTH {
            return None;
        }
        self.pos += indent;
        if self.at_dash() {
            self.sequence(indent, depth, false)
        } else {
            self.mapping(indent, depth)
        }
    }

    /// A block mapping whose keys are at column `indent`; `pos` at its first key (which may
    /// follow a sequence's `- `).
    fn mapping(&mut self, indent: usize, depth: u32) -> Option<Node> {
        if depth + 8 >= MAX_DEPTH {
            return None;
        }
        let span = self.span(self.pos);
        let mut items = Vec::new();
        loop {
            items.push(self.key()?);
            items.push(self.value(indent, true, depth)?);
            match self.content_line()? {
                Line::At(i) if i == indent => {
                    self.pos += i;
                    if self.at_dash() {
                        return None;
                    }
                }
                Line::At(i) if i < indent => break,
                Line::End => break,
                Line::At(_) => return None,
            }
        }
        let value = simple_map(items)?;
        self.node(value, span)
    }

    /// A block sequence whose `-` are at column `indent`; `pos` at the first. One at its
    /// mapping's indentation (`indentless`) is where its first item is, as the general path
    /// has it.
    fn sequence(&mut self, indent: usize, depth: u32, indentless: bool) -> Option<Node> {
        if depth + 8 >= MAX_DEPTH {
            return None;
        }
        let mut span = self.span(self.pos);
        let mut items = Vec::new();
        loop {
            let dash_line = self.line;
            self.pos += 1;
            if self.peek() == Some(b' ') {
                self.skip_spaces();
                if self.at_dash() {
                    return None;
                }
                // `- key: value` starts a mapping at the key's column.
                let start = self.pos;
                if !matches!(self.peek(), None | Some(b'\n' | b'#')) && self.key().is_some() {
                    self.pos = start;
                    let column = start - self.line_start;
                    items.push(self.mapping(column, depth + 1)?);
                } else {
                    self.pos = start;
                    items.push(self.value(indent, false, depth)?);
                }
            } else {
                items.push(self.value(indent, false, depth)?);
            }
            if indentless && items.len() == 1 {
                // Only a first item on the dash's line is where the general path puts it.
                if items[0].span.line != dash_line {
                    return None;
                }
                span = items[0].span.clone();
            }
            match self.content_line()? {
                Line::At(i) if i == indent => {
                    self.pos += i;
                    if !self.at_dash() {
                        // The rest of a mapping this sequence is a value of, at its indentation.
                        self.pos -= i;
                        break;
                    }
                }
                Line::At(i) if i < indent => break,
                Line::End => break,
                Line::At(_) => return None,
            }
        }
        self.node(Value::Seq(items), span)
    }

    /// A block mapping key and its `:`, then past the spaces after it.
    fn key(&mut self) -> Option<Node> {
        let start = self.pos;
        let span = self.span(start);
        let (text, plain) = match self.peek()? {
            b'\'' | b'"' => {
                let text = self.quoted()?;
                self.skip_spaces();
                // A simple key ends within 1024 characters (bytes are never fewer).
                if self.peek() != Some(b':') || self.pos - start > LONGEST_KEY {
                    return None;
                }
                (text, false)
            }
            c if plain_start(c) || (c == b'-' && self.peek_at(1).is_some_and(plain_start)) => {
                let line = &self.b[start..];
                let end = memchr::memchr(b'\n', line).unwrap_or(line.len());
                let line = &line[..end];
                let colon = line.iter().enumerate().position(|(i, &c)| {
                    c == b':' && matches!(line.get(i + 1), None | Some(b' '))
                })?;
                let key = &line[..colon];
                // A comment before the `:` leaves no key; over 1024 characters, none either.
                if key.windows(2).any(|w| w == b" #") || key.len() > LONGEST_KEY {
                    return None;
                }
                self.pos = start + colon;
                let key = self.text.get(start..start + colon)?.trim_end_matches(' ');
                (key.to_owned(), true)
            }
            _ => return None,
        };
        self.pos += 1; // the `:`
        if !matches!(self.peek(), None | Some(b' ' | b'\n')) {
            return None;
        }
        let value = simple_scalar(text, plain)?;
        self.node(value, span)
    }

    /// The value after a key's `:` (`in_map`) or a `- `, in a collection at `indent`: on the
    /// line, or a block collection on the next lines. Ends at the next line's start.
    fn value(&mut self, indent: usize, in_map: bool, depth: u32) -> Option<Node> {
        self.skip_spaces();
        if matches!(self.peek(), None | Some(b'\n' | b'#')) {
            self.end_of_line()?;
            return match self.content_line()? {
                Line::At(i) if i > indent => self.block(i, depth + 1),
                // A mapping's sequence may sit at the mapping's own indentation.
                Line::At(i) if i == indent && in_map && self.dash_at(i) => {
                    self.pos += i;
                    self.sequence(i, depth + 1, true)
                }
                // An empty value: the general path knows its position.
                _ => None,
            };
        }
        let node = self.inline(depth)?;
        self.end_of_line()?;
        Some(node)
    }

    /// A scalar or flow collection on the current line, in block context.
    fn inline(&mut self, depth: u32) -> Option<Node> {
        let start = self.pos;
        match self.peek()? {
            b'[' | b'{' => self.flow(depth + 1),
            b'\'' | b'"' => {
                let span = self.span(start);
                let text = self.quoted()?;
                let value = simple_scalar(text, false)?;
                self.node(value, span)
            }
            c if plain_start(c) || (c == b'-' && self.peek_at(1).is_some_and(plain_start)) => {
                let line = &self.b[start..];
                let end = memchr::memchr(b'\n', line).unwrap_or(line.len());
                let line = &line[..end];
                // To a comment or the line's end; a `: ` would make it a key, for the general
                // path.
                let mut stop = line.len();
                for (i, w) in line.windows(2).enumerate() {
                    if w == b" #" {
                        stop = i;
                        break;
                    }
                    if w == b": " {
                        return None;
                    }
                }
                if line[..stop].ends_with(b":") {
                    return None;
                }
                self.plain(start, stop)
            }
            _ => None,
        }
    }

    /// A flow sequence or mapping that closes on its line; `pos` at its bracket.
    fn flow(&mut self, depth: u32) -> Option<Node> {
        if depth + 8 >= MAX_DEPTH {
            return None;
        }
        let span = self.span(self.pos);
        let is_map = self.peek() == Some(b'{');
        let close = if is_map { b'}' } else { b']' };
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_spaces();
            if self.peek() == Some(close) {
                break;
            }
            if is_map {
                let key_start = self.pos;
                items.push(self.flow_item(depth, true)?);
                self.skip_spaces();
                if self.peek() != Some(b':')
                    || self.peek_at(1) != Some(b' ')
                    || self.pos - key_start > LONGEST_KEY
                {
                    return None;
                }
                self.pos += 2;
                self.skip_spaces();
                if matches!(self.peek(), Some(b',' | b'}')) {
                    return None;
                }
            }
            items.push(self.flow_item(depth, false)?);
            self.skip_spaces();
            match self.peek()? {
                b',' => self.pos += 1,
                c if c == close => break,
                _ => return None,
            }
        }
        self.pos += 1;
        let value = if is_map {
            simple_map(items)?
        } else {
            Value::Seq(items)
        };
        self.node(value, span)
    }

    /// A scalar or collection inside a flow collection; a `key` ends at its `: `.
    fn flow_item(&mut self, depth: u32, key: bool) -> Option<Node> {
        let start = self.pos;
        let span = self.span(start);
        match self.peek()? {
            b'[' | b'{' if !key => self.flow(depth + 1),
            b'\'' | b'"' => {
                let text = self.quoted()?;
                if !key {
                    // `'a': b` in a sequence is a pair, for the general path.
                    let at = self.pos;
                    self.skip_spaces();
                    if self.peek() == Some(b':') {
                        return None;
                    }
                    self.pos = at;
                }
                let value = simple_scalar(text, false)?;
                self.node(value, span)
            }
            c if plain_start(c) || (c == b'-' && self.peek_at(1).is_some_and(plain_start)) => {
                let rest = &self.b[start..];
                let len = rest
                    .iter()
                    .position(|c| {
                        matches!(
                            c,
                            b',' | b'[' | b']' | b'{' | b'}' | b':' | b'\n' | b'#' | b'?'
                        )
                    })
                    .unwrap_or(rest.len());
                // A `:` must be a key's indicator; `#`, `?` (PyYAML ends a flow scalar there)
                // or a line's end is for the general path.
                match rest.get(len) {
                    Some(b':') if key => {}
                    Some(b',' | b']' | b'}') => {}
                    _ => return None,
                }
                self.plain(start, len)
            }
            _ => None,
        }
    }

    /// The plain scalar in the `len` bytes at `start`, without trailing spaces; `pos` after
    /// them.
    fn plain(&mut self, start: usize, len: usize) -> Option<Node> {
        let span = self.span(start);
        self.pos = start + len;
        let text = self.text.get(start..self.pos)?.trim_end_matches(' ');
        let value = simple_scalar(text.to_owned(), true)?;
        self.node(value, span)
    }

    /// A one-line quoted scalar's text; `pos` at its quote, left after the closing one.
    fn quoted(&mut self) -> Option<String> {
        let quote = self.peek()?;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.b[self.pos..];
            let stop = rest
                .iter()
                .position(|&c| c == quote || c == b'\n' || (quote == b'"' && c == b'\\'))?;
            out.push_str(self.text.get(self.pos..self.pos + stop)?);
            self.pos += stop;
            match (rest[stop], quote) {
                (b'\n', _) => return None,
                (b'\'', b'\'') if self.peek_at(1) == Some(b'\'') => {
                    out.push('\'');
                    self.pos += 2;
                }
                (b'\\', _) => {
                    out.push(match self.peek_at(1)? {
                        b'\\' => '\\',
                        b'"' => '"',
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'0' => '\0',
                        b'a' => '\x07',
                        b'b' => '\x08',
                        b'e' => '\x1b',
                        b'f' => '\x0c',
                        b'v' => '\x0b',
                        b' ' => ' ',
                        _ => return None,
                    });
                    self.pos += 2;
                }
                _ => {
                    self.pos += 1;
                    return Some(out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;
    use crate::yaml::load_with;

    /// Whether the quick path read `text`; when it did, its document is the general path's.
    fn same(text: &str) -> bool {
        let Some(quick) = compose("f.yml", text) else {
            return false;
        };
        let general = load_with("f.yml", text, false)
            .unwrap_or_else(|e| panic!("quick read what fails: {e}\n{text}"));
        assert!(general.warnings.is_empty(), "{text}");
        if quick == empty_document("f.yml") {
            // An empty document's position is the quick path's own (as it always was).
            assert_eq!(general.node.value, Value::Null, "{text}");
        } else {
            // Compared as text: NaN is no value's equal.
            assert_eq!(
                format!("{quick:?}"),
                format!("{:?}", general.node),
                "\n{text}"
            );
        }
        true
    }

    #[test]
    fn kind_files_read_as_the_general_path_reads_them() {
        let taken = [
            "---\nloader: taskgraph.loader.transform:loader\ntransforms:\n  - taskgraph.transforms.task:transforms\n",
            "# c\n\ntasks:\n  b0:\n    description: build 0 for linux64  # why\n    attributes: {build_platform: linux64, build_type: opt}\n    treeherder: {symbol: B0, platform: linux64/opt, kind: build, tier: 1}\n    optimization: {skip-unless-changed: ['src/mod0/**']}\n",
            "a:\n- x\n- 'y'\n-   \"z \\\" \\n\"\nc: 1:30\nb: [1, 0x10, 010, 1.5, .inf, yes, No, ~, null, 2023-01-01, '', \"\"]\n",
            "list:\n  - name: one\n    value: 1\n  - name: two\n    nested:\n      deep: [a, [b, {c: d}], {}]\n  -\n    k: v\n",
            "  indented: root\n  yes: 1\n  2: two\n  'quoted key': \"v\"\n  \"x\" : y\n",
            "s: it''s\nt: 'it''s'\nu: a#b\nv: x,y]z\nw: -1\nx: -foo\ny: http://x/y?z=1\nz: a b  c   \n",
            "e: caf\u{e9} \u{1f600}\n\u{e9}t\u{e9}: [\u{e0}, {\u{f1}: '\u{fc}'}]\n",
            "",
            "# only a comment\n",
            "---\n",
            "a: [x, y, ]\nb: {k: v, }\nc: [ ]\nd: { }\n",
            "m:\n  n:\n    o:\n      - p\n      - q: r\n        s: t\n",
        ];
        for text in taken {
            assert!(same(text), "the quick path reads:\n{text}");
        }
    }

    #[test]
    fn the_rest_goes_to_the_general_path() {
        let refused = [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  text\n",
            "a: >-\n  text\n",
            "a: b\n  c\n",
            "a: 'b\n  c'\n",
            "a: [b,\n  c]\n",
            "a:\tb\n",
            "a: b\r\n",
            "a: 1\na: 2\n",
            "a:\nb: 1\n",
            "<<: {a: 1}\n",
            "=: 1\n",
            "--- a\n",
            "a: 1\n---\nb: 2\n",
            "a: 1\n...\n",
            "%YAML 1.1\n---\na: 1\n",
            "? a\n: b\n",
            "a: b: c\n",
            "a: [b: c]\n",
            "a: {b}\n",
            "a: [a, , b]\n",
            "a: \"\\x41\"\n",
            "a: 'b' c\n",
            "- - a\n",
            "a: @b\n",
            "\u{feff}a: 1\n",
            "a: \u{1}\n",
            "plain scalar\n",
            "[a, b]\n",
            "a: b #c\n  d: e\n",
            "a:\n  b: 1\n c: 2\n",
            "a:\n- b\n c\n",
            "{a: 1}: 2\n",
            // An indentless sequence whose first item starts below its dash.
            "k:\n- \n  a: 1\n",
            "k:\n-   \n  - x\n",
            "- k:\n  - \n    a: 1\n",
            // PyYAML ends a flow plain scalar at `?`.
            "a: [a?b]\n",
            "a: {k: b?}\n",
        ];
        for text in refused {
            assert!(!same(text), "the general path reads:\n{text}");
        }
        // Keys longer than a simple key may be, quoted or in a flow mapping, fail in the
        // general path; the quick one leaves them to it.
        let x = "x".repeat(1023);
        let long = [
            format!("\"{x}\": 1\n"),
            format!("'a'{}: 1\n", " ".repeat(1100)),
            format!("a: {{{x}xx: 1}}\n"),
            format!("a: {{'{x}': 1}}\n"),
            format!("- '{}': 1\n", "\u{e9}".repeat(1030)),
        ];
        for text in &long {
            assert!(compose("f.yml", text).is_none(), "{text}");
            assert!(load_with("f.yml", text, false).is_err(), "{text}");
        }
    }

    #[test]
    fn the_synthetic_and_example_kinds_take_the_quick_path() {
        let root = &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut taken = 0;
        let mut dirs = vec![root.join("examples"), root.join("tests/fixtures")];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    taken += usize::from(same(&text));
                }
            }
        }
        assert!(taken >= 8, "only {taken} files were read quickly");
    }

    /// Scalars and flows of the generated documents: ones the quick path reads, and (rarer)
    /// ones it leaves to the general path.
    const EASY: &[&str] = &[
        "a",
        "b-c",
        "yes",
        "No",
        "0x1f",
        "010",
        "1:30",
        "-2",
        "1.5e3",
        ".nan",
        "~",
        "null",
        "2023-01-01",
        "2001-12-14t21:59:43.10-05:00",
        "x y",
        "'q'",
        "'it''s'",
        "\"d\\tq\"",
        "\"\"",
        "''",
        "[]",
        "{}",
        "[a, 1]",
        "{k: v}",
        "[x, {y: [z]}]",
        "a#b",
        "u/v.w",
        "é ü",
        "[a, b, ]",
        "{ k : v , }",
        "x'y",
        "1_000",
        "0o17",
        "+1",
        "-.inf",
        "=x",
        "c:d",
    ];
    const HARD: &[&str] = &[
        "<<",
        "=",
        "&a x",
        "*a",
        "!t x",
        "|",
        "@x",
        "%x",
        "-",
        "?",
        ":",
        "a: b",
        "[a: b]",
        "\"\\x41\"",
        "'a\n  b'",
        "{a}",
        "[a,, b]",
        "a #c d: e",
        "`x`",
    ];

    /// A small random generator, the same on every run.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            let n = u64::try_from(n).expect("a count fits 64 bits");
            usize::try_from(self.0 % n).expect("below a count")
        }

        fn word(&mut self) -> &'static str {
            if self.next(40) == 0 {
                HARD[self.next(HARD.len())]
            } else {
                EASY[self.next(EASY.len())]
            }
        }

        fn key(&mut self, i: usize) -> String {
            match self.next(8) {
                0 => format!("'k {i}'"),
                1 => format!("{} ", self.word()).replace(' ', "") + &i.to_string(),
                _ => format!("key{i}"),
            }
        }

        /// A block mapping at `indent`, or a block sequence when `seq`.
        fn block(&mut self, out: &mut String, indent: usize, depth: usize, seq: bool) {
            let pad = " ".repeat(indent);
            for i in 0..=self.next(4) {
                if self.next(12) == 0 {
                    let _ = write!(out, "{}# {}\n\n", " ".repeat(self.next(8)), self.word());
                }
                let head = if seq {
                    format!("{pad}-")
                } else {
                    format!("{pad}{}:", self.key(i))
                };
                out.push_str(&head);
                match self.next(if depth > 4 { 3 } else { 7 }) {
                    0 | 1 => {
                        let _ = writeln!(out, " {}", self.word());
                    }
                    2 => {
                        let _ = writeln!(out, " {}  # {}", self.word(), self.word());
                    }
                    3 => {
                        out.push('\n');
                        self.block(out, indent + 2, depth + 1, false);
                    }
                    4 => {
                        out.push('\n');
                        self.block(out, indent + 2, depth + 1, true);
                    }
                    // A sequence at its key's indentation.
                    5 if !seq => {
                        out.push('\n');
                        self.block(out, indent, depth + 1, true);
                    }
                    // `- key: value` and the mapping's other keys under it.
                    _ if seq => {
                        let _ = writeln!(out, " k{i}: {}", self.word());
                        if self.next(2) == 0 {
                            let _ = writeln!(out, "{pad}  j{i}: {}", self.word());
                        }
                    }
                    _ => {
                        let _ = writeln!(out, " {}", self.word());
                    }
                }
            }
        }
    }

    #[test]
    fn generated_documents_read_alike() {
        const DOCUMENTS: usize = 5000;
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        let mut taken = 0;
        for _ in 0..DOCUMENTS {
            let mut text = String::new();
            if g.next(5) == 0 {
                text.push_str("---\n");
            }
            let seq = g.next(6) == 0;
            let indent = g.next(2) * 2;
            g.block(&mut text, indent, 0, seq);
            taken += usize::from(same(&text));
        }
        // Both paths are exercised: most documents are read quickly, some are left.
        assert!(
            (DOCUMENTS / 2..DOCUMENTS * 19 / 20).contains(&taken),
            "{taken} of {DOCUMENTS} read quickly"
        );
    }
}
