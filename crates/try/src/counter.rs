//! Counting many strings in little memory: every distinct string is stored once in one text
//! arena, and the table holds only its place and its count.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

#[derive(Debug, Clone, Copy)]
struct Entry {
    start: usize,
    len: usize,
    count: u64,
}

/// A multiset of strings.
#[derive(Default)]
pub struct StringCounter {
    text: String,
    table: HashTable<Entry>,
    hasher: FxBuildHasher,
}

impl StringCounter {
    /// Counts `s` `n` more times.
    pub fn add(&mut self, s: &str, n: u64) {
        let hash = self.hasher.hash_one(s);
        let text = &self.text;
        let found = self
            .table
            .find_mut(hash, |e| &text[e.start..e.start + e.len] == s);
        if let Some(entry) = found {
            entry.count += n;
            return;
        }
        let entry = Entry {
            start: self.text.len(),
            len: s.len(),
            count: n,
        };
        self.text.push_str(s);
        let (text, hasher) = (&self.text, &self.hasher);
        self.table.insert_unique(hash, entry, |e| {
            hasher.hash_one(&text[e.start..e.start + e.len])
        });
    }

    /// Every distinct string with its count, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.table
            .iter()
            .map(|e| (&self.text[e.start..e.start + e.len], e.count))
    }

    /// Adds all of `other`'s counts.
    pub fn merge(&mut self, other: &StringCounter) {
        for (s, n) in other.iter() {
            self.add(s, n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_merges() {
        let mut a = StringCounter::default();
        for s in ["x", "y", "x", "", "x"] {
            a.add(s, 1);
        }
        let mut b = StringCounter::default();
        b.add("y", 2);
        b.add("z", 1);
        a.merge(&b);
        let mut all: Vec<(&str, u64)> = a.iter().collect();
        all.sort_unstable();
        assert_eq!(all, [("", 1), ("x", 3), ("y", 3), ("z", 1)]);
    }
}
