//! Small-cell suppression (CTL-2: 003 art. 6.4): a count of 1 to k-1 could point at a
//! person, so the report shows "< k" instead, in every table and chart. A total over cells
//! of which any is suppressed is withheld too: otherwise a reader subtracts the shown cells
//! from the total and finds the small one.
use serde::Serialize;

/// One count as the report may show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// Shown as is (0, or k and more).
    Count(u64),
    /// 1..k-1: shown as "< k".
    Small,
    /// A total that would reveal a small cell.
    Withheld,
}

impl Cell {
    /// The cell of `n` under threshold `k`.
    pub fn of(n: u64, k: u64) -> Cell {
        if n > 0 && n < k { Cell::Small } else { Cell::Count(n) }
    }

    /// The total of `parts` (raw counts) under threshold `k`.
    pub fn total(parts: &[u64], k: u64) -> Cell {
        if parts.iter().any(|n| *n > 0 && *n < k) { Cell::Withheld } else { Cell::Count(parts.iter().sum()) }
    }

    /// The value to draw in a chart (suppressed cells have none).
    pub fn value(self) -> Option<u64> {
        match self {
            Cell::Count(n) => Some(n),
            _ => None,
        }
    }

    /// How the report prints it.
    pub fn text(self, k: u64) -> String {
        match self {
            Cell::Count(n) => n.to_string(),
            Cell::Small => format!("< {k}"),
            Cell::Withheld => "—".to_string(),
        }
    }
}

/// In JSON: the number, or `"< k"`, or `"withheld"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonCell(pub Cell, pub u64);

impl Serialize for JsonCell {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Cell::Count(n) => s.serialize_u64(n),
            Cell::Small => s.serialize_str(&format!("< {}", self.1)),
            Cell::Withheld => s.serialize_str("withheld"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_and_the_totals_that_reveal_them_are_hidden() {
        assert_eq!(Cell::of(0, 5), Cell::Count(0));
        assert_eq!(Cell::of(4, 5), Cell::Small);
        assert_eq!(Cell::of(5, 5), Cell::Count(5));
        assert_eq!(Cell::total(&[10, 20], 5), Cell::Count(30));
        assert_eq!(Cell::total(&[10, 3], 5), Cell::Withheld);
        assert_eq!(Cell::total(&[10, 0], 5), Cell::Count(10));
        assert_eq!(Cell::Small.text(5), "< 5");
        assert_eq!(serde_json::to_string(&JsonCell(Cell::Small, 5)).unwrap(), "\"< 5\"");
        assert_eq!(serde_json::to_string(&JsonCell(Cell::Count(7), 5)).unwrap(), "7");
    }
}
