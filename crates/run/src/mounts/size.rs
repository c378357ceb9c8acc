//! How much one mount may write into the task dir (`--max-mount-size`, worker.md §9.2): a
//! few kilobytes of compressed content can expand to fill the disk, so what a mount writes is
//! counted as it is written, and a mount that goes over the cap is a malformed payload.

/// The cap when none is given: larger than any toolchain a task mounts, far smaller than what
/// a decompression bomb writes.
pub const DEFAULT_MAX_MOUNT_SIZE: u64 = 8 << 30;

/// The default as `--max-mount-size` shows it.
pub const DEFAULT_MAX_MOUNT_SIZE_TEXT: &str = "8G";

/// Binary unit suffixes (1K = 1024 bytes), largest first.
const UNITS: [(&str, i32); 4] = [("T", 40), ("G", 30), ("M", 20), ("K", 10)];

/// A `--max-mount-size` that is not a size (clap shows it with the flag).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum SizeError {
    #[error("`{text}` is not a size: give bytes or a number with K, M, G or T (e.g. 512M, 8G)")]
    #[diagnostic(code(tc::run::size::syntax))]
    NotASize { text: String },

    #[error("`{text}`: the size must be at least 1 byte and below 16 EiB")]
    #[diagnostic(code(tc::run::size::range))]
    OutOfRange { text: String },
}

/// A mount that writes more than its cap: a malformed payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error(
    "it expands to more than {}, the most a mount may write (--max-mount-size)",
    show_size(*cap)
)]
#[diagnostic(code(tc::run::mount::too_large))]
pub struct TooLarge {
    pub cap: u64,
}

/// Parses `--max-mount-size`: a number of bytes, or a number with K, M, G or T (binary
/// units; a trailing `B` or `iB` is allowed: `512M`, `2GiB`, `1.5G`).
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let bad = || SizeError::NotASize {
        text: text.to_owned(),
    };
    let upper = text.trim().to_ascii_uppercase();
    let t = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (number, shift) = UNITS
        .iter()
        .find_map(|(unit, shift)| t.strip_suffix(unit).map(|n| (n, *shift)))
        .unwrap_or((t, 0));
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(bad());
    }
    let value = number.parse::<f64>().map_err(|_| bad())? * 2f64.powi(shift);
    if value < 1.0 || value >= u64::MAX as f64 {
        return Err(SizeError::OutOfRange {
            text: text.to_owned(),
        });
    }
    // The range was checked just above: the value is positive and fits, and a fraction of a
    // byte is dropped.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(value as u64)
}

/// A size for messages: in the largest binary unit it is a whole number of, else in bytes.
pub fn show_size(bytes: u64) -> String {
    UNITS
        .iter()
        .find(|(_, shift)| bytes >= 1 << shift && bytes.is_multiple_of(1 << shift))
        .map_or_else(
            || format!("{bytes} bytes"),
            |(unit, shift)| format!("{} {unit}iB", bytes >> shift),
        )
}

/// What a mount may still write.
#[derive(Debug)]
pub(super) struct Budget {
    cap: u64,
    used: u64,
}

impl Budget {
    pub(super) fn new(cap: u64) -> Budget {
        Budget { cap, used: 0 }
    }

    /// Counts `n` more bytes; the error says the cap is passed.
    pub(super) fn take(&mut self, n: u64) -> Result<(), TooLarge> {
        self.used = self.used.saturating_add(n);
        if self.used > self.cap {
            return Err(TooLarge { cap: self.cap });
        }
        Ok(())
    }

    /// Whether `n` more bytes (a size an archive declares) would still fit.
    pub(super) fn fits(&self, n: u64) -> Result<(), TooLarge> {
        if self.used.saturating_add(n) > self.cap {
            return Err(TooLarge { cap: self.cap });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("2K"), Ok(2048));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("8G"), Ok(DEFAULT_MAX_MOUNT_SIZE));
        assert_eq!(
            parse_size(DEFAULT_MAX_MOUNT_SIZE_TEXT),
            Ok(DEFAULT_MAX_MOUNT_SIZE)
        );
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("3mb"), Ok(3 << 20));
        assert_eq!(parse_size("1.5K"), Ok(1536));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        for bad in [
            "",
            "G",
            "-1G",
            "1X",
            "abc",
            "0",
            "1e3",
            "99999999999T",
            "1 2K",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_show_in_the_largest_whole_unit() {
        assert_eq!(show_size(DEFAULT_MAX_MOUNT_SIZE), "8 GiB");
        assert_eq!(show_size(1 << 20), "1 MiB");
        assert_eq!(show_size(1536), "1536 bytes");
        assert_eq!(show_size(3 << 10), "3 KiB");
        assert_eq!(show_size(7), "7 bytes");
    }

    #[test]
    fn the_budget_refuses_past_the_cap() {
        let mut b = Budget::new(10);
        assert!(b.fits(10).is_ok());
        assert!(b.take(6).is_ok());
        assert!(b.fits(5).is_err());
        assert!(b.take(4).is_ok());
        let e = b.take(1).unwrap_err().to_string();
        assert!(e.contains("more than 10 bytes"), "{e}");
    }
}
