//! Human tables, the same look everywhere, laid out in the width of the terminal.
//!
//! The width is `$COLUMNS` when it holds a positive number (scripts and tests choose it), else the
//! terminal's when stdout is one, else there is none: piped output keeps each row on one line (for
//! grep), and only very long cells are cut. In a width, cells wrap inside their column, a row is
//! at most [`MAX_CELL_LINES`] lines high (unless the table says otherwise), and what does not fit
//! ends in `…`.
//!
//! Every cell is cut to what it can show before comfy-table sees it: comfy-table wraps a cell by
//! copying the rest of it for every line it splits off (quadratic), and even without a width it
//! splits cells wider than 65,535 columns that way, so one 4 MB value took seconds to minutes to
//! print.

use std::borrow::Cow;
use std::fmt;

use comfy_table::{ContentArrangement, Row, presets};

/// The most lines a row shows by default; longer cells end in `…`.
pub const MAX_CELL_LINES: usize = 4;

/// The most characters a cell keeps when there is no width (piped output, `$COLUMNS` unset).
pub const MAX_UNWRAPPED_CELL_CHARS: usize = 1000;

/// Shown where a cell was cut.
const ELLIPSIS: &str = "…";

/// A table with a header row, borders drawn with plain UTF-8 lines, fitted to the width.
pub struct Table {
    layout: comfy_table::Table,
    max_lines: usize,
    max_cell_chars: usize,
}

/// A table with `header` as its first row, laid out in the width (see the module docs).
pub fn new(header: &[&str]) -> Table {
    with_width(header, layout_width(), MAX_CELL_LINES)
}

/// Like [`new`], for cells worth reading whole (such as `tc doctor`'s advice): a row shows up to
/// `max_lines` lines.
pub fn with_max_lines(header: &[&str], max_lines: usize) -> Table {
    with_width(header, layout_width(), max_lines.max(1))
}

/// A table with `header` as its first row, laid out in `width` columns (none: no limit), its
/// rows at most `max_lines` high.
fn with_width(header: &[&str], width: Option<usize>, max_lines: usize) -> Table {
    let mut layout = comfy_table::Table::new();
    layout.load_preset(presets::UTF8_FULL_CONDENSED);
    layout.set_truncation_indicator(ELLIPSIS);
    if let Some(width) = width {
        layout.set_width(u16::try_from(width).unwrap_or(u16::MAX));
        layout.set_content_arrangement(ContentArrangement::Dynamic);
    }
    layout.set_header(header.iter().copied());
    Table {
        layout,
        max_lines,
        max_cell_chars: max_cell_chars(width, max_lines),
    }
}

impl Table {
    /// Adds a row; each cell is cut to what the table can show of it.
    pub fn add_row<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) -> &mut Self {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|cell| clip(cell.as_ref(), self.max_cell_chars).into_owned())
            .collect();
        let mut row = Row::from(cells);
        row.max_height(self.max_lines);
        self.layout.add_row(row);
        self
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.layout.fmt(f)
    }
}

/// Text shown outside a table (such as the try text above `tc try parse`'s tables), cut like a
/// cell: at most [`MAX_CELL_LINES`] lines of the width, or [`MAX_UNWRAPPED_CELL_CHARS`].
pub fn clip_long_text(text: &str) -> Cow<'_, str> {
    clip(text, max_cell_chars(layout_width(), MAX_CELL_LINES))
}

/// The width tables are laid out in (see the module docs); none means no limit.
fn layout_width() -> Option<usize> {
    columns_setting(std::env::var("COLUMNS").ok().as_deref())
        // comfy-table asks the terminal when stdout is one.
        .or_else(|| comfy_table::Table::new().width().map(usize::from))
}

/// `$COLUMNS` as a width: a positive number, else none.
fn columns_setting(value: Option<&str>) -> Option<usize> {
    value
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
}

/// How many characters of a cell can show: a full-width line for each of a row's `max_lines`,
/// or the fixed cap without a width.
fn max_cell_chars(width: Option<usize>, max_lines: usize) -> usize {
    width.map_or(MAX_UNWRAPPED_CELL_CHARS, |w| w.saturating_mul(max_lines))
}

/// `text` cut to `max_chars` characters, the last of them `…`.
fn clip(text: &str, max_chars: usize) -> Cow<'_, str> {
    if text.char_indices().nth(max_chars).is_none() {
        Cow::Borrowed(text)
    } else {
        let keep = max_chars.saturating_sub(1);
        let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
        Cow::Owned(format!("{}{ELLIPSIS}", &text[..end]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_short_text_and_cuts_long_text_with_an_ellipsis() {
        assert_eq!(clip("abc", 3), "abc");
        assert!(matches!(clip("abc", 3), Cow::Borrowed(_)));
        assert_eq!(clip("abcd", 3), "ab…");
        assert_eq!(clip("ééééé", 4), "ééé…");
        assert_eq!(clip("abc", 0), "…");
    }

    #[test]
    fn columns_must_be_a_positive_number() {
        assert_eq!(columns_setting(Some("60")), Some(60));
        assert_eq!(columns_setting(Some(" 200\n")), Some(200));
        for bad in [None, Some(""), Some("0"), Some("-3"), Some("wide")] {
            assert_eq!(columns_setting(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_cell_keeps_a_row_of_full_lines_or_the_fixed_cap() {
        assert_eq!(max_cell_chars(Some(80), 4), 320);
        assert_eq!(max_cell_chars(Some(80), 10), 800);
        assert_eq!(max_cell_chars(None, 4), MAX_UNWRAPPED_CELL_CHARS);
    }

    fn laid_out(width: Option<usize>, rows: &[&[&str]]) -> String {
        laid_out_in_lines(width, MAX_CELL_LINES, rows)
    }

    fn laid_out_in_lines(width: Option<usize>, max_lines: usize, rows: &[&[&str]]) -> String {
        let mut table = with_width(&["a", "b"], width, max_lines);
        for row in rows {
            table.add_row(row.iter());
        }
        table.to_string()
    }

    #[test]
    fn rows_wrap_in_the_width_and_stop_after_the_most_lines() {
        let long = "word ".repeat(1000);
        let text = laid_out(Some(40), &[&["x", &long], &["y", "short"]]);
        assert!(text.lines().all(|l| l.chars().count() <= 40), "{text}");
        let x_lines = text
            .lines()
            .skip_while(|l| !l.contains(" x "))
            .take_while(|l| !l.contains(" y "))
            .count();
        assert_eq!(x_lines, MAX_CELL_LINES, "{text}");
        assert!(text.contains('…'), "{text}");
    }

    #[test]
    fn a_table_can_show_taller_rows() {
        let long = "word ".repeat(1000);
        let text = laid_out_in_lines(Some(40), 10, &[&["x", &long]]);
        // Borders and header take 4 lines.
        assert_eq!(text.lines().count(), 4 + 10, "{text}");
        assert!(text.contains('…'), "{text}");
    }

    #[test]
    fn wide_characters_are_laid_out_by_display_width() {
        use unicode_width::UnicodeWidthStr;
        let long = "界".repeat(500);
        let text = laid_out(Some(40), &[&["x", &long]]);
        assert!(text.lines().all(|l| l.width() <= 40), "{text}");
        assert!(text.contains('…'), "{text}");
    }

    /// comfy-table splits long cells in quadratic time: a 4 MB cell must reach it already cut.
    #[test]
    fn a_huge_cell_is_cut_before_the_layout_with_or_without_a_width() {
        let huge = "x".repeat(4_000_000);
        let unwrapped = laid_out(None, &[&["x", &huge]]);
        assert_eq!(unwrapped.lines().count(), 5, "borders, header, one row");
        let row = unwrapped.lines().nth(3).unwrap();
        assert!(row.contains(&format!("{}…", "x".repeat(MAX_UNWRAPPED_CELL_CHARS - 1))));
        assert!(!row.contains(&"x".repeat(MAX_UNWRAPPED_CELL_CHARS)));
        let wrapped = laid_out(Some(80), &[&["x", &huge]]);
        assert!(wrapped.len() < 80 * 10 * 4, "{wrapped}");
        assert!(wrapped.contains('…'), "{wrapped}");
    }

    #[test]
    fn a_tiny_width_does_not_panic() {
        let text = laid_out(Some(1), &[&["xxxxxxxx", "yyyy yyyy"]]);
        assert!(text.contains('x'), "{text}");
    }
}
