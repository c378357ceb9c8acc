//! Human tables, the same look everywhere.

use comfy_table::{Table, presets};

/// A table with a header row, borders drawn with plain UTF-8 lines.
pub fn new(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED);
    table.set_header(header.iter().copied());
    table
}
