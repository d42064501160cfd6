//! The report's charts: inline SVG, no script, every label escaped, every bar a
//! [`Cell`] (a small count is drawn as an empty bar with its "< k").
use std::fmt::Write;

use super::suppress::Cell;
use crate::templates::esc;

/// A horizontal bar chart; suppressed bars are drawn empty with their label.
pub fn bar_chart(title: &str, bars: &[(String, Cell)], k: u64) -> String {
    let row = 22;
    let (label_w, bar_w, width) = (150, 380, 600);
    let height = 34 + row * bars.len().max(1);
    let max = bars.iter().filter_map(|(_, c)| c.value()).max().unwrap_or(0).max(1);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}"><title>{t}</title><text x="0" y="16" class="ct">{t}</text>"#,
        t = esc(title)
    );
    for (i, (label, cell)) in bars.iter().enumerate() {
        let y = 28 + i * row;
        let w = cell.value().map_or(0, |v| (v as f64 / max as f64 * bar_w as f64).round() as usize);
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" class="cl">{l}</text><rect x="{bx}" y="{y}" width="{w}" height="16" class="{cls}"/><text x="{vx}" y="{ty}" class="cv">{v}</text>"#,
            lx = label_w - 6,
            ty = y + 12,
            l = esc(label),
            bx = label_w,
            cls = if cell.value().is_some() { "bar" } else { "bar small" },
            vx = label_w + w + 6,
            v = esc(&cell.text(k)),
        );
    }
    s.push_str("</svg>");
    s
}

/// Small multiples: one row per series, one bar per week.
pub fn week_chart(title: &str, series: &[(String, Vec<(String, Cell)>)], k: u64) -> String {
    let weeks: Vec<String> =
        series.first().map(|(_, w)| w.iter().map(|(l, _)| l.clone()).collect()).unwrap_or_default();
    let (label_w, col_w, row) = (250, 80, 24);
    let width = label_w + col_w * weeks.len().max(1) + 10;
    let height = 46 + row * series.len().max(1);
    let max = series.iter().flat_map(|(_, w)| w.iter().filter_map(|(_, c)| c.value())).max().unwrap_or(0).max(1);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}"><title>{t}</title><text x="0" y="16" class="ct">{t}</text>"#,
        t = esc(title)
    );
    for (j, w) in weeks.iter().enumerate() {
        let _ = write!(s, r#"<text x="{x}" y="36" class="cl">{w}</text>"#, x = label_w + j * col_w, w = esc(w));
    }
    for (i, (name, cells)) in series.iter().enumerate() {
        let y = 44 + i * row;
        let _ = write!(
            s,
            r#"<text x="{x}" y="{ty}" text-anchor="end" class="cl">{n}</text>"#,
            x = label_w - 6,
            ty = y + 13,
            n = esc(name)
        );
        for (j, (_, c)) in cells.iter().enumerate() {
            let w = c.value().map_or(0, |v| (v as f64 / max as f64 * (col_w - 34) as f64).round() as usize);
            let _ = write!(
                s,
                r#"<rect x="{x}" y="{y}" width="{w}" height="16" class="{cls}"/><text x="{tx}" y="{ty}" class="cv">{v}</text>"#,
                x = label_w + j * col_w,
                cls = if c.value().is_some() { "bar" } else { "bar small" },
                tx = label_w + j * col_w + w + 3,
                ty = y + 13,
                v = esc(&c.text(k)),
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_hide_small_bars_and_escape_labels() {
        let svg = bar_chart("t<", &[("<b>".into(), Cell::of(3, 5)), ("BE".into(), Cell::of(40, 5))], 5);
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(svg.contains("&lt; 5") && svg.contains(">40<"));
        assert!(svg.contains(r#"class="bar small""#));
    }
}
