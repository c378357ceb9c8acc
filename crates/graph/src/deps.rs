//! A task's named dependencies (`{name: label}`), sorted by name like the `BTreeMap` it
//! replaces, but as one exact-size vector: nearly every task has one to three, and a map node
//! holds room for eleven.

use serde::ser::{Serialize, SerializeMap, Serializer};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependencies(Vec<(String, String)>);

impl Dependencies {
    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(n, _)| n.as_str().cmp(name))
    }

    pub fn get(&self, name: &str) -> Option<&String> {
        self.find(name).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Sets `name` to `label`; the old label is returned.
    pub fn insert(&mut self, name: String, label: String) -> Option<String> {
        match self.find(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, label)),
            Err(i) => {
                self.0.insert(i, (name, label));
                None
            }
        }
    }

    /// `(name, label)` in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(n, l)| (n, l))
    }

    pub fn values(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(_, l)| l)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Drops the room a growing vector kept.
    pub fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }
}

impl Extend<(String, String)> for Dependencies {
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, items: I) {
        for (name, label) in items {
            self.insert(name, label);
        }
    }
}

impl FromIterator<(String, String)> for Dependencies {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(items: I) -> Self {
        let mut deps = Dependencies::default();
        deps.extend(items);
        deps.shrink_to_fit();
        deps
    }
}

impl IntoIterator for Dependencies {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Dependencies {
    type Item = (&'a String, &'a String);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, String)>,
        fn(&'a (String, String)) -> (&'a String, &'a String),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(n, l)| (n, l))
    }
}

impl Serialize for Dependencies {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (n, l) in &self.0 {
            map.serialize_entry(n, l)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_sorted_map() {
        let mut d: Dependencies = [("b", "x"), ("a", "y"), ("b", "z")]
            .into_iter()
            .map(|(n, l)| (n.to_owned(), l.to_owned()))
            .collect();
        assert_eq!(d.len(), 2);
        assert_eq!(d.get("b").map(String::as_str), Some("z"));
        assert!(d.contains_key("a") && !d.contains_key("c"));
        assert_eq!(d.insert("c".into(), "w".into()), None);
        assert_eq!(d.insert("a".into(), "v".into()).as_deref(), Some("y"));
        let names: Vec<&str> = d.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"a":"v","b":"z","c":"w"}"#
        );
    }
}
