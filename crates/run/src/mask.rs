//! Secret masking on byte streams (worker.md §5.3): every occurrence of a secret value, and of
//! every line of 4 bytes or more of a multi-line value, becomes `***`. Matches may straddle
//! chunks: the last (longest − 1) bytes are held back until the next chunk or the end.

/// The shortest secret tc agrees to mask.
pub const MIN_SECRET_LEN: usize = 4;

#[derive(Clone, Default)]
pub struct Masker {
    /// Patterns, longest first, so the longest match wins.
    patterns: Vec<Vec<u8>>,
    /// Bytes that begin some pattern: everything else is copied without a look.
    first_bytes: Vec<bool>,
    held: Vec<u8>,
}

/// Never the values: a masker may sit in a struct that is debug-printed.
impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Masker({} patterns)", self.patterns.len())
    }
}

impl Masker {
    /// A masker for these secret values.
    pub fn new<S: AsRef<str>>(values: &[S]) -> Masker {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        for value in values {
            let value = value.as_ref();
            if !value.is_empty() {
                patterns.push(value.as_bytes().to_vec());
            }
            if value.contains('\n') {
                for line in value.split('\n') {
                    let line = line.strip_suffix('\r').unwrap_or(line);
                    if line.len() >= MIN_SECRET_LEN {
                        patterns.push(line.as_bytes().to_vec());
                    }
                }
            }
        }
        patterns.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        patterns.dedup();
        let mut first_bytes = vec![false; 256];
        for p in &patterns {
            first_bytes[p[0] as usize] = true;
        }
        Masker {
            patterns,
            first_bytes,
            held: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    fn longest(&self) -> usize {
        self.patterns.first().map_or(0, Vec::len)
    }

    fn match_at(&self, buf: &[u8], i: usize) -> Option<usize> {
        self.patterns
            .iter()
            .find(|p| buf[i..].starts_with(p))
            .map(Vec::len)
    }

    /// Masks `buf` from `start`, deciding only positions before `limit`; returns where it
    /// stopped (past `limit` when a match ran over it).
    fn scan(&self, buf: &[u8], limit: usize, out: &mut Vec<u8>) -> usize {
        let mut i = 0;
        while i < limit {
            // Copy the stretch that cannot start a match in one go.
            let next = buf[i..limit]
                .iter()
                .position(|b| self.first_bytes.get(*b as usize).copied().unwrap_or(false))
                .map_or(limit, |p| i + p);
            out.extend_from_slice(&buf[i..next]);
            i = next;
            if i >= limit {
                break;
            }
            if let Some(len) = self.match_at(buf, i) {
                out.extend_from_slice(b"***");
                i += len;
            } else {
                out.push(buf[i]);
                i += 1;
            }
        }
        i
    }

    /// Masks the next chunk of a stream; returns what can be written now.
    pub fn push<'a>(&mut self, chunk: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        if self.patterns.is_empty() {
            return std::borrow::Cow::Borrowed(chunk);
        }
        let mut buf = std::mem::take(&mut self.held);
        buf.extend_from_slice(chunk);
        let limit = buf.len().saturating_sub(self.longest() - 1);
        let mut out = Vec::with_capacity(buf.len());
        let stop = self.scan(&buf, limit, &mut out);
        self.held = buf[stop.min(buf.len())..].to_vec();
        std::borrow::Cow::Owned(out)
    }

    /// Masks what is still held back at the end of the stream.
    pub fn finish(&mut self) -> Vec<u8> {
        let buf = std::mem::take(&mut self.held);
        let mut out = Vec::with_capacity(buf.len());
        self.scan(&buf, buf.len(), &mut out);
        out
    }

    /// Masks a whole string at once (headers, messages, summaries).
    pub fn mask_str(&self, text: &str) -> String {
        if self.patterns.is_empty() {
            return text.to_owned();
        }
        let mut out = Vec::with_capacity(text.len());
        self.scan(text.as_bytes(), text.len(), &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(m: &mut Masker, chunks: &[&str]) -> String {
        let mut out = Vec::new();
        for c in chunks {
            out.extend_from_slice(&m.push(c.as_bytes()));
        }
        out.extend(m.finish());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn masks_whole_values() {
        let m = Masker::new(&["hunter22"]);
        assert_eq!(
            m.mask_str("pw=hunter22; again hunter22!"),
            "pw=***; again ***!"
        );
    }

    #[test]
    fn masks_values_split_across_chunks() {
        let mut m = Masker::new(&["hunter22"]);
        assert_eq!(stream(&mut m, &["pw=hun", "ter", "22 ok"]), "pw=*** ok");
        let mut m = Masker::new(&["abcd"]);
        assert_eq!(stream(&mut m, &["a", "b", "c", "d", "abc"]), "***abc");
    }

    #[test]
    fn prefers_the_longest_overlapping_value() {
        let m = Masker::new(&["abcd", "abcdefgh"]);
        assert_eq!(m.mask_str("xabcdefghx abcdx"), "x***x ***x");
        let mut m = Masker::new(&["abcd", "abcdefgh"]);
        assert_eq!(stream(&mut m, &["xabcdef", "gh"]), "x***");
    }

    #[test]
    fn masks_each_line_of_a_multi_line_value() {
        let m = Masker::new(&["first-line\nsecond-line\nab"]);
        assert_eq!(
            m.mask_str("x first-line y second-line z ab"),
            "x *** y *** z ab"
        );
        assert_eq!(m.mask_str("first-line\nsecond-line\nab"), "***");
    }

    #[test]
    fn debug_output_never_shows_the_values() {
        let shown = format!("{:?}", Masker::new(&["hunter22"]));
        assert!(!shown.contains("hunter22"), "{shown}");
    }

    #[test]
    fn without_secrets_nothing_changes_or_is_held() {
        let mut m = Masker::new::<&str>(&[]);
        assert_eq!(&*m.push(b"abc"), b"abc");
        assert!(m.finish().is_empty());
    }
}
