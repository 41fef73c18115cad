//! Charts drawn as inline SVG on the server: no script, no external asset, readable in any browser. The
//! numbers are written by this code only (labels are escaped), so the markup is safe to embed.

use std::fmt::Write;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 36.0;

/// A bar chart of `points` (label, value; `None` draws no bar) titled `title`, its scale up to `max` or
/// the largest value.
pub(crate) fn bars(title: &str, points: &[(String, Option<f64>)], max: Option<f64>) -> String {
    draw(title, points, max, Kind::Bars)
}

/// A line chart of `points` (a `None` breaks the line), its scale up to `max` or the largest value.
pub(crate) fn line(title: &str, points: &[(String, Option<f64>)], max: Option<f64>) -> String {
    draw(title, points, max, Kind::Line)
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Bars,
    Line,
}

fn draw(title: &str, points: &[(String, Option<f64>)], max: Option<f64>, kind: Kind) -> String {
    let largest = points.iter().filter_map(|(_, v)| *v).fold(0.0_f64, f64::max);
    let top = nice(max.unwrap_or(largest).max(1.0));
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let step = plot_w / points.len().max(1) as f64;
    let x_of = |i: usize| LEFT + step * (i as f64 + 0.5);
    let y_of = |v: f64| TOP + plot_h - (v / top).clamp(0.0, 1.0) * plot_h;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        escape(title)
    );
    let _ = write!(svg, r#"<text class="chart-title" x="{LEFT}" y="16">{}</text>"#, escape(title));
    for tick in 0..=4 {
        let v = top * f64::from(tick) / 4.0;
        let y = y_of(v);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}"/><text class="axis" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            short(v)
        );
    }
    match kind {
        Kind::Bars => {
            let bar_w = (step * 0.7).max(1.0);
            for (i, (label, value)) in points.iter().enumerate() {
                if let Some(v) = value {
                    let y = y_of(*v);
                    let _ = write!(
                        svg,
                        r#"<rect class="bar" x="{:.1}" y="{y:.1}" width="{bar_w:.1}" height="{:.1}"><title>{}: {}</title></rect>"#,
                        x_of(i) - bar_w / 2.0,
                        TOP + plot_h - y,
                        escape(label),
                        short(*v)
                    );
                }
            }
        }
        Kind::Line => {
            let mut path = String::new();
            let mut pen_down = false;
            for (i, (label, value)) in points.iter().enumerate() {
                match value {
                    Some(v) => {
                        let (x, y) = (x_of(i), y_of(*v));
                        let _ = write!(path, "{}{x:.1},{y:.1} ", if pen_down { "L" } else { "M" });
                        let _ = write!(
                            svg,
                            r#"<circle class="dot" cx="{x:.1}" cy="{y:.1}" r="3"><title>{}: {:.1}</title></circle>"#,
                            escape(label),
                            v
                        );
                        pen_down = true;
                    }
                    None => pen_down = false,
                }
            }
            let _ = write!(svg, r#"<path class="line" d="{}"/>"#, path.trim_end());
        }
    }
    // A label every few days, so they do not overlap at 30 points.
    let every = (points.len() / 8).max(1);
    for (i, (label, _)) in points.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let _ = write!(
            svg,
            r#"<text class="axis" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            x_of(i),
            HEIGHT - BOTTOM + 16.0,
            escape(label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The next round number at or above `v` (1, 2, 2.5, 5 × 10ⁿ).
fn nice(v: f64) -> f64 {
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|c| *c >= v).unwrap_or(v)
}

/// An axis number: 1200 → `1.2k`, 3400000 → `3.4M`.
fn short(v: f64) -> String {
    if v >= 1_000_000.0 {
        format!("{:.1}M", v / 1_000_000.0)
    } else if v >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn escape(raw: &str) -> String {
    raw.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_one_bar_per_value_and_escapes_its_labels() {
        let points = vec![("a<b".to_owned(), Some(3.0)), ("c".to_owned(), None), ("d".to_owned(), Some(7.0))];
        let svg = bars("Orders & more", &points, None);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("Orders &amp; more") && svg.contains("a&lt;b"));
        assert!(!svg.contains("a<b"));
        let line = line("rate", &points, Some(100.0));
        assert_eq!(line.matches("<circle").count(), 2);
        // The gap lifts the pen: two moves, no line drawn across the missing day.
        assert_eq!(line.matches('M').count(), 2);
    }

    #[test]
    fn scales_end_on_round_numbers() {
        assert_eq!(nice(7.0), 10.0);
        assert_eq!(nice(180.0), 200.0);
        assert_eq!(nice(2300.0), 2500.0);
        assert_eq!(short(45_000.0), "45k");
        assert_eq!(short(2_500_000.0), "2.5M");
    }
}
