//! PNG charts drawn with plotters: daily volume per source, an hour ×
//! weekday heatmap per source (UTC beside the newsroom's zone), and the
//! feed-lag distribution.
//!
//! Labels use the romanized source keys (`rfi`, `bbc`, …) and ASCII text only,
//! drawn with the bundled DejaVu Sans Mono, so charts render the same on any
//! machine, with or without CJK fonts. (A monospaced face because plotters'
//! ab_glyph text drops each glyph's side bearing, which leaves proportional
//! text unevenly spaced.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Once;

use chrono::NaiveDate;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use polars::prelude::{Column, DataFrame, DataType};

use crate::{StatsError, Tables};

const FONT: &str = "sans-serif";
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        // The bundled font is valid; if registration failed anyway, plotters
        // would report the missing font when drawing, which names the chart.
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../assets/DejaVuSansMono.ttf"),
        );
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Bold,
            include_bytes!("../assets/DejaVuSansMono-Bold.ttf"),
        );
    });
}

/// A distinct, readable colour per series.
fn series_color(i: usize) -> RGBColor {
    const PALETTE: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    PALETTE[i % PALETTE.len()]
}

/// Draws every chart into `OUT/charts/`; returns the files written, in the
/// order the report shows them.
pub fn draw(tables: &Tables, out: &Path) -> Result<Vec<PathBuf>, StatsError> {
    register_fonts();
    let dir = out.join("charts");
    std::fs::create_dir_all(&dir).map_err(|source| StatsError::Io {
        path: dir.clone(),
        source,
    })?;
    let mut files = Vec::new();
    let path = dir.join("daily_volume.png");
    daily_volume(&tables.daily_volume, &path).map_err(chart_error(&path))?;
    files.push(path);
    let path = dir.join("feed_lag.png");
    feed_lag(&tables.feed_lag, &path).map_err(chart_error(&path))?;
    files.push(path);
    let sources = strings(&tables.hour_weekday_utc, "source");
    let mut seen: Vec<String> = sources.into_iter().flatten().collect();
    seen.dedup();
    for source in seen {
        let path = dir.join(format!("hour_weekday_{}.png", file_safe(&source)));
        hour_weekday(tables, &source, &path).map_err(chart_error(&path))?;
        files.push(path);
    }
    Ok(files)
}

fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn chart_error(path: &Path) -> impl FnOnce(Box<dyn std::error::Error>) -> StatsError + '_ {
    move |e| StatsError::Chart {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn column<'a>(df: &'a DataFrame, name: &str) -> Option<&'a Column> {
    df.column(name).ok()
}

/// A column cast to `dtype`, or `None` when the table lacks it.
fn cast(df: &DataFrame, name: &str, dtype: &DataType) -> Option<Column> {
    column(df, name).and_then(|c| c.cast(dtype).ok())
}

fn strings(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let Some(c) = cast(df, name, &DataType::String) else {
        return Vec::new();
    };
    c.str()
        .map(|s| s.iter().map(|v| v.map(str::to_string)).collect())
        .unwrap_or_default()
}

fn numbers(df: &DataFrame, name: &str) -> Vec<Option<f64>> {
    let Some(c) = cast(df, name, &DataType::Float64) else {
        return Vec::new();
    };
    c.f64().map(|s| s.iter().collect()).unwrap_or_default()
}

/// A date column as days since 1970-01-01.
fn days(df: &DataFrame, name: &str) -> Vec<Option<i32>> {
    let Some(c) = cast(df, name, &DataType::Int32) else {
        return Vec::new();
    };
    c.i32().map(|s| s.iter().collect()).unwrap_or_default()
}

fn date_of(day: i32) -> String {
    NaiveDate::from_num_days_from_ce_opt(day + 719_163)
        .map(|d| d.format("%Y-%m").to_string())
        .unwrap_or_default()
}

fn daily_volume(df: &DataFrame, path: &Path) -> DrawResult {
    let mut by_source: BTreeMap<String, Vec<(i32, f64)>> = BTreeMap::new();
    for ((source, day), n) in strings(df, "source")
        .into_iter()
        .zip(days(df, "day"))
        .zip(numbers(df, "articles"))
    {
        if let (Some(s), Some(d), Some(n)) = (source, day, n) {
            by_source.entry(s).or_default().push((d, n));
        }
    }
    let all = by_source.values().flatten();
    let first = all.clone().map(|(d, _)| *d).min().unwrap_or(0);
    let last = all.map(|(d, _)| *d).max().unwrap_or(1).max(first + 1);
    let panels = by_source.len().max(1);
    let cols = 3.min(panels);
    let rows = panels.div_ceil(cols);

    let root = BitMapBackend::new(path, (1400, 120 + 300 * rows as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "Articles per day by source (UTC day of the article time; latest versions)",
        (FONT, 28).into_font().style(FontStyle::Bold),
    )?;
    let areas = root.split_evenly((rows, cols));
    for (i, ((source, points), area)) in by_source.iter().zip(areas.iter()).enumerate() {
        let top = points
            .iter()
            .map(|(_, n)| *n as i64)
            .max()
            .unwrap_or(1)
            .max(1);
        let color = series_color(i);
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!(
                    "{source} ({} articles)",
                    points.iter().map(|(_, n)| n).sum::<f64>()
                ),
                (FONT, 20),
            )
            .margin(12)
            .margin_right(36)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(first - 1..last + 1, 0i64..top + 1)?;
        chart
            .configure_mesh()
            .x_labels(5)
            .x_label_formatter(&|d| date_of(*d))
            .y_labels((top + 2).min(6) as usize)
            .y_label_formatter(&|v| format!("{v}"))
            .y_desc("articles / day")
            .x_desc("day (UTC)")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        // Stems and dots: visible for single days over a multi-year span.
        chart.draw_series(points.iter().map(|(d, n)| {
            PathElement::new(vec![(*d, 0), (*d, *n as i64)], color.stroke_width(2))
        }))?;
        chart.draw_series(
            points
                .iter()
                .map(|(d, n)| Circle::new((*d, *n as i64), 4, color.filled())),
        )?;
    }
    root.present()?;
    Ok(())
}

fn feed_lag(df: &DataFrame, path: &Path) -> DrawResult {
    let sources: Vec<String> = strings(df, "source")
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    let stats: Vec<[Option<f64>; 4]> = {
        let p50 = numbers(df, "p50_s");
        let p90 = numbers(df, "p90_s");
        let p99 = numbers(df, "p99_s");
        let max = numbers(df, "max_s");
        (0..sources.len())
            .map(|i| [p50[i], p90[i], p99[i], max[i]])
            .collect()
    };
    let counts = numbers(df, "count");
    // Minutes on a log axis; lags under 6 seconds sit on its floor.
    let floor = 0.1f64;
    let minutes = |s: Option<f64>| s.map(|s| (s / 60.0).max(floor));
    let top = stats
        .iter()
        .flat_map(|row| row.iter().filter_map(|v| minutes(*v)))
        .fold(60.0, f64::max)
        * 2.0;
    let n = sources.len().max(1) as i32;

    let root = BitMapBackend::new(path, (1400, 180 + 60 * n as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Feed lag by source: feed time minus published time (minutes, log scale)",
            (FONT, 26).into_font().style(FontStyle::Bold),
        )
        .margin(20)
        .margin_right(80)
        .x_label_area_size(50)
        .y_label_area_size(170)
        .build_cartesian_2d((floor..top).log_scale(), -1..n)?;
    let labels: Vec<String> = sources
        .iter()
        .zip(&counts)
        .map(|(s, c)| format!("{s} (n={:.0})", c.unwrap_or(0.0)))
        .collect();
    chart
        .configure_mesh()
        .y_labels(n as usize + 2)
        // The first source on top.
        .y_label_formatter(&|y| {
            usize::try_from(n - 1 - *y)
                .ok()
                .and_then(|i| labels.get(i).cloned())
                .unwrap_or_default()
        })
        .x_label_formatter(&|m| {
            if *m >= 1440.0 {
                format!("{m:.0} min ({:.1} d)", m / 1440.0)
            } else if *m >= 60.0 {
                format!("{m:.0} min ({:.1} h)", m / 60.0)
            } else {
                format!("{m} min")
            }
        })
        .x_desc("lag (log scale)")
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 15))
        .draw()?;
    let markers = [("p50", 0usize), ("p90", 1), ("p99", 2), ("max", 3)];
    for (i, row) in stats.iter().enumerate() {
        let y = n - 1 - i as i32;
        if let (Some(lo), Some(hi)) = (minutes(row[0]), minutes(row[3])) {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(lo, y), (hi, y)],
                BLACK.mix(0.4).stroke_width(2),
            )))?;
        }
    }
    for (label, k) in markers {
        let color = series_color(k);
        chart
            .draw_series(stats.iter().enumerate().filter_map(|(i, row)| {
                minutes(row[k]).map(|m| Circle::new((m, n - 1 - i as i32), 7, color.filled()))
            }))?
            .label(label)
            .legend(move |(x, y)| Circle::new((x, y), 6, color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font((FONT, 15))
        .draw()?;
    root.present()?;
    Ok(())
}

/// One source's 7 × 24 counts from an hour × weekday table.
fn matrix(df: &DataFrame, source: &str) -> ([[f64; 24]; 7], Option<String>) {
    let mut cells = [[0.0; 24]; 7];
    let zone = strings(df, "zone");
    let mut zone_name = None;
    for (i, (((s, weekday), hour), n)) in strings(df, "source")
        .into_iter()
        .zip(numbers(df, "weekday"))
        .zip(numbers(df, "hour"))
        .zip(numbers(df, "articles"))
        .enumerate()
    {
        if s.as_deref() != Some(source) {
            continue;
        }
        if let (Some(w), Some(h), Some(n)) = (weekday, hour, n) {
            let (w, h) = (w as usize, h as usize);
            if (1..=7).contains(&w) && h < 24 {
                cells[w - 1][h] += n;
            }
        }
        if zone_name.is_none() {
            zone_name = zone.get(i).cloned().flatten();
        }
    }
    (cells, zone_name)
}

fn hour_weekday(tables: &Tables, source: &str, path: &Path) -> DrawResult {
    let (utc, _) = matrix(&tables.hour_weekday_utc, source);
    let (local, zone) = matrix(&tables.hour_weekday_local, source);
    let zone = zone.unwrap_or_else(|| "UTC".into());
    let top = utc
        .iter()
        .chain(local.iter())
        .flatten()
        .fold(1.0, |a: f64, b| a.max(*b));
    let total: f64 = utc.iter().flatten().sum();

    let root = BitMapBackend::new(path, (1500, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        &format!("{source}: articles by hour and weekday of publication (n={total:.0})"),
        (FONT, 26).into_font().style(FontStyle::Bold),
    )?;
    let (left, right) = root.split_horizontally(750);
    // Monday on top: weekday row w (0 = Monday) is drawn in segment 6 - w.
    let segment = |v: i32| SegmentValue::Exact(v);
    for (area, cells, label) in [
        (&left, &utc, "UTC".to_string()),
        (&right, &local, format!("local time, {zone}")),
    ] {
        let mut chart = ChartBuilder::on(area)
            .caption(&label, (FONT, 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d((0i32..23).into_segmented(), (0i32..6).into_segmented())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(24)
            .x_label_formatter(&|h| match h {
                SegmentValue::CenterOf(h) if h % 2 == 0 => format!("{h:02}"),
                _ => String::new(),
            })
            .y_labels(7)
            .y_label_formatter(&|w| match w {
                SegmentValue::CenterOf(y) => usize::try_from(6 - *y)
                    .ok()
                    .and_then(|i| WEEKDAYS.get(i))
                    .map_or(String::new(), |d| d.to_string()),
                _ => String::new(),
            })
            .x_desc("hour of day")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()?;
        chart.draw_series(cells.iter().enumerate().flat_map(|(w, row)| {
            row.iter().enumerate().map(move |(h, n)| {
                let (x, y) = (h as i32, 6 - w as i32);
                let shade = if *n > 0.0 {
                    ViridisRGB::get_color(*n / top)
                } else {
                    RGBColor(245, 245, 245)
                };
                Rectangle::new(
                    [(segment(x), segment(y)), (segment(x + 1), segment(y + 1))],
                    shade.filled(),
                )
            })
        }))?;
        chart.draw_series(cells.iter().enumerate().flat_map(|(w, row)| {
            row.iter()
                .enumerate()
                .filter(|(_, n)| **n > 0.0)
                .map(move |(h, n)| {
                    let text_color = if *n / top > 0.6 { BLACK } else { WHITE };
                    let style = (FONT, 13)
                        .into_font()
                        .color(&text_color)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    Text::new(
                        format!("{n:.0}"),
                        (
                            SegmentValue::CenterOf(h as i32),
                            SegmentValue::CenterOf(6 - w as i32),
                        ),
                        style,
                    )
                })
        }))?;
    }
    root.present()?;
    Ok(())
}
