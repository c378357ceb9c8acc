//! A light JSON value for the task transform. serde_json's map (with `preserve_order`) hashes
//! every key with SipHash; the transform builds a dozen small maps per task and only ever
//! writes them out, so a vector of pairs in insertion order is all it needs. Objects are sorted
//! when written, as `json.dumps(sort_keys=True)` does.

use std::fmt::Write as _;

use serde_json::Value as J;

use super::yaml::same_text;

/// A JSON value; the variant names follow serde_json's where they mean the same.
#[derive(Debug, Clone, PartialEq)]
pub enum Jv {
    Null,
    Bool(bool),
    Int(i64),
    /// Always finite: the YAML layer refuses the others before a value gets here.
    Float(f64),
    String(String),
    Array(Vec<Jv>),
    Object(Obj),
}

/// A JSON object: pairs in insertion order, keys unique (a Python dict).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Obj(Vec<(String, Jv)>);

impl Obj {
    pub fn new() -> Obj {
        Obj(Vec::new())
    }

    pub fn with_capacity(n: usize) -> Obj {
        Obj(Vec::with_capacity(n))
    }

    /// An object of `pairs` whose keys the caller knows to be unique.
    pub fn of_unique(pairs: Vec<(String, Jv)>) -> Obj {
        debug_assert!(
            pairs
                .iter()
                .enumerate()
                .all(|(i, (k, _))| pairs[..i].iter().all(|(e, _)| e != k)),
            "keys are unique"
        );
        Obj(pairs)
    }

    /// The pairs `(key, value)`, keys unique.
    pub fn of<const N: usize>(pairs: [(&str, Jv); N]) -> Obj {
        Obj(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    fn index(&self, key: &str) -> Option<usize> {
        self.0.iter().position(|(k, _)| same_text(k, key))
    }

    /// Sets `key`: in place if present (the old value is returned), else at the end.
    pub fn insert(&mut self, key: String, value: Jv) -> Option<Jv> {
        if let Some(i) = self.index(&key) {
            Some(std::mem::replace(&mut self.0[i].1, value))
        } else {
            self.push(key, value);
            None
        }
    }

    /// Appends a pair whose key is new.
    fn push(&mut self, key: String, value: Jv) {
        room_for_keys(&mut self.0);
        self.0.push((key, value));
    }

    pub fn get(&self, key: &str) -> Option<&Jv> {
        self.0
            .iter()
            .find(|(k, _)| same_text(k, key))
            .map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Jv> {
        self.0
            .iter_mut()
            .find(|(k, _)| same_text(k, key))
            .map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.index(key).is_some()
    }

    /// The value at `key`, inserted at the end from `f` when missing.
    pub fn get_or_insert_with(&mut self, key: &str, f: impl FnOnce() -> Jv) -> &mut Jv {
        let i = if let Some(i) = self.index(key) {
            i
        } else {
            self.push(key.to_owned(), f());
            self.0.len() - 1
        };
        &mut self.0[i].1
    }

    /// Removes `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Jv> {
        self.index(key).map(|i| self.0.remove(i).1)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Drops the room a growing vector kept (an object kept for the life of the graph).
    pub fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Jv)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Jv> {
        self.0.iter().map(|(_, v)| v)
    }

    /// As a serde_json map (same order).
    pub fn to_serde(&self) -> serde_json::Map<String, J> {
        self.0
            .iter()
            .map(|(k, v)| (k.clone(), v.to_serde()))
            .collect()
    }
}

/// Room for one more pair of a mapping's `pairs`. The transform adds a few keys to most
/// mappings it touches (a task's, its worker's, the objects it builds): a full one grows by
/// eight pairs at least, not one allocation size at a time.
pub(super) fn room_for_keys<T>(pairs: &mut Vec<T>) {
    if pairs.len() == pairs.capacity() {
        pairs.reserve(pairs.len().max(8));
    }
}

impl IntoIterator for Obj {
    type Item = (String, Jv);
    type IntoIter = std::vec::IntoIter<(String, Jv)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Obj {
    type Item = (&'a String, &'a Jv);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Jv)>,
        fn(&'a (String, Jv)) -> (&'a String, &'a Jv),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl From<i64> for Jv {
    fn from(i: i64) -> Jv {
        Jv::Int(i)
    }
}

impl From<&str> for Jv {
    fn from(s: &str) -> Jv {
        Jv::String(s.to_owned())
    }
}

impl From<String> for Jv {
    fn from(s: String) -> Jv {
        Jv::String(s)
    }
}

impl From<Obj> for Jv {
    fn from(o: Obj) -> Jv {
        Jv::Object(o)
    }
}

impl Jv {
    /// `{key: value}`.
    pub fn obj1(key: &str, value: impl Into<Jv>) -> Jv {
        Jv::Object(Obj(vec![(key.to_owned(), value.into())]))
    }

    pub fn get(&self, key: &str) -> Option<&Jv> {
        match self {
            Jv::Object(o) => o.get(key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Jv::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Jv::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Jv>> {
        match self {
            Jv::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Obj> {
        match self {
            Jv::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Jv::Null)
    }

    /// Python's truth value.
    pub fn truthy(&self) -> bool {
        match self {
            Jv::Null => false,
            Jv::Bool(b) => *b,
            Jv::Int(i) => *i != 0,
            Jv::Float(f) => *f != 0.0,
            Jv::String(s) => !s.is_empty(),
            Jv::Array(a) => !a.is_empty(),
            Jv::Object(o) => !o.is_empty(),
        }
    }

    /// As a serde_json value.
    pub fn to_serde(&self) -> J {
        match self {
            Jv::Null => J::Null,
            Jv::Bool(b) => J::Bool(*b),
            Jv::Int(i) => J::from(*i),
            Jv::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Jv::String(s) => J::String(s.clone()),
            Jv::Array(a) => J::Array(a.iter().map(Jv::to_serde).collect()),
            Jv::Object(o) => J::Object(o.to_serde()),
        }
    }

    /// From a serde_json value (a number beyond i64 becomes a float, as it would in Python's
    /// JSON only past 2^64; tc never makes one).
    pub fn from_serde(v: &J) -> Jv {
        match v {
            J::Null => Jv::Null,
            J::Bool(b) => Jv::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Jv::Int(i),
                None => Jv::Float(n.as_f64().unwrap_or(0.0)),
            },
            J::String(s) => Jv::String(s.clone()),
            J::Array(a) => Jv::Array(a.iter().map(Jv::from_serde).collect()),
            J::Object(o) => Jv::Object(Obj(o
                .iter()
                .map(|(k, v)| (k.clone(), Jv::from_serde(v)))
                .collect())),
        }
    }

    /// Python's `str()` of the value as `str.format` inserts it (containers as serde_json
    /// writes them, as before this type).
    pub fn py_str(&self) -> String {
        match self {
            Jv::Null => "None".into(),
            Jv::Bool(true) => "True".into(),
            Jv::Bool(false) => "False".into(),
            Jv::String(s) => s.clone(),
            Jv::Int(i) => i.to_string(),
            other => other.to_serde().to_string(),
        }
    }
}

impl std::fmt::Display for Jv {
    /// Compact JSON, as serde_json writes it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_serde())
    }
}

/// `value` as `json.dumps(value, sort_keys=True, indent=2)` writes it nested `level` deep,
/// appended to `out` (the same text `render::write_json_at` gives for the serde value).
pub fn write(out: &mut String, value: &Jv, level: usize) {
    match value {
        Jv::Null => out.push_str("null"),
        Jv::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Jv::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Jv::Float(f) => out.push_str(&super::yaml::python_float_repr(*f)),
        Jv::String(s) => super::render::write_string(out, s),
        Jv::Array(items) => {
            super::render::write_list(out, items, level, |out, item| write(out, item, level + 1));
        }
        Jv::Object(o) => write_obj(out, o, level),
    }
}

/// [`write`] of an object.
pub fn write_obj(out: &mut String, o: &Obj, level: usize) {
    match o {
        o if o.is_empty() => out.push_str("{}"),
        o => {
            // Python sorts str keys by code point, which is UTF-8 byte order. Small objects
            // (nearly all) are sorted on the stack, by their first eight bytes as a number
            // (zero-padded, so the order is the bytes') and whole only when those tie.
            type Sorted<'a> = (u64, &'a (String, Jv));
            const SMALL: usize = 16;
            let prefix = |k: &str| {
                let mut head = [0u8; 8];
                let n = k.len().min(8);
                head[..n].copy_from_slice(&k.as_bytes()[..n]);
                u64::from_be_bytes(head)
            };
            let mut small: [Sorted; SMALL] = [(0, &o.0[0]); SMALL];
            let mut large: Vec<Sorted> = Vec::new();
            let pairs: &mut [Sorted] = if o.0.len() <= SMALL {
                for (slot, pair) in small.iter_mut().zip(&o.0) {
                    *slot = (prefix(&pair.0), pair);
                }
                &mut small[..o.0.len()]
            } else {
                large.extend(o.0.iter().map(|pair| (prefix(&pair.0), pair)));
                &mut large
            };
            pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.0.cmp(&b.1.0)));
            out.push('{');
            for (i, (k, v)) in pairs.iter().map(|p| (&p.1.0, &p.1.1)).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                super::render::indent(out, level + 1);
                super::render::write_string(out, k);
                out.push_str(": ");
                write(out, v, level + 1);
            }
            super::render::indent(out, level);
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn written_as_the_serde_value_is() {
        let v = json!({"b": [1, 2.5, {}, -7], "a": {"x": null, "\u{e9}": "caf\u{e9}\n", "t": true},
                       "c": [], "d": {}, "e": 1e16});
        let mut out = String::new();
        write(&mut out, &Jv::from_serde(&v), 2);
        assert_eq!(out, super::super::render::python_json_at(&v, 2));
        assert_eq!(Jv::from_serde(&v).to_serde(), v);
    }

    #[test]
    fn keys_are_written_in_byte_order() {
        // Keys that tie on their first eight bytes, hold NUL, are prefixes of each other or
        // are not ASCII; a small object and one past the stack's sixteen.
        let keys = [
            "abcdefgh2",
            "abcdefgh",
            "abcdefgh10",
            "ab\0",
            "ab",
            "a",
            "",
            "\u{e9}",
            "\u{7f}",
            "b",
            "abcdefgi",
            "abcdefg",
            "Z",
            "zz",
            "z\0z",
            "z",
            "0",
            "abcdefgh\0",
        ];
        for n in [5, keys.len()] {
            let mut o = Obj::new();
            for k in &keys[..n] {
                o.insert((*k).to_owned(), Jv::Null);
            }
            let mut out = String::new();
            write_obj(&mut out, &o, 0);
            let mut sorted: Vec<&str> = keys[..n].to_vec();
            sorted.sort_unstable();
            let expected: serde_json::Map<String, J> =
                sorted.iter().map(|k| ((*k).to_owned(), J::Null)).collect();
            assert_eq!(
                out,
                super::super::render::python_json_at(&J::Object(expected), 0)
            );
        }
    }

    #[test]
    fn objects_keep_their_first_place() {
        let mut o = Obj::new();
        o.insert("b".into(), Jv::Int(1));
        o.insert("a".into(), Jv::Int(2));
        assert_eq!(o.insert("b".into(), Jv::Int(3)), Some(Jv::Int(1)));
        assert_eq!(o.keys().collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(o.remove("b"), Some(Jv::Int(3)));
        *o.get_or_insert_with("c", || Jv::Null) = Jv::Bool(true);
        assert_eq!(
            o.to_serde(),
            *json!({"a": 2, "c": true}).as_object().unwrap()
        );
    }
}
