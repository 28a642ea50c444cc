//! Progress: a bar on a terminal, plain log lines otherwise.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::ProgressMode;

/// How often a log line is written when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// Reports files done out of files found.
pub struct Progress {
    bar: Option<ProgressBar>,
    log: bool,
    /// `None` while the files are still being found (a full run extracts
    /// while it walks the inputs).
    total: Option<u64>,
    done: u64,
    started: Instant,
    last_log: Instant,
}

impl Progress {
    /// Progress over `total` files (`None`: not known yet, see
    /// [`Progress::set_total`]), shown as `mode` says.
    pub fn new(mode: ProgressMode, total: Option<u64>) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let (bar, log) = match mode {
            ProgressMode::Auto if terminal => (true, false),
            ProgressMode::Auto => (false, true),
            ProgressMode::Bar => (true, false),
            ProgressMode::Log => (false, true),
            ProgressMode::Quiet => (false, false),
        };
        let bar = bar.then(|| {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
            set_style(&bar, total.is_some());
            bar
        });
        let now = Instant::now();
        Progress {
            bar,
            log,
            total,
            done: 0,
            started: now,
            last_log: now,
        }
    }

    /// There are `total` files (counted ahead, or all found).
    pub fn set_total(&mut self, total: u64) {
        let first = self.total.is_none();
        self.total = Some(total);
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            if first {
                set_style(bar, true);
            }
        }
    }

    /// Whether anything is shown: a bar or log lines.
    pub fn shows(&self) -> bool {
        self.bar.is_some() || self.log
    }

    /// `n` more files are done.
    pub fn advance(&mut self, n: u64) {
        self.done += n;
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
        if self.log && self.last_log.elapsed() >= LOG_EVERY {
            self.last_log = Instant::now();
            self.log_line();
        }
    }

    /// `done` files in all are done (never goes back).
    pub fn advance_to(&mut self, done: u64) {
        if done > self.done {
            self.advance(done - self.done);
        }
    }

    fn log_line(&self) {
        let elapsed = self.started.elapsed().as_secs_f64();
        let rate = if elapsed > 0.0 {
            self.done as f64 / elapsed
        } else {
            0.0
        };
        let Some(total) = self.total else {
            eprintln!(
                "wirehouse: {} files, {rate:.0} files/s (still finding files)",
                self.done
            );
            return;
        };
        let eta = if rate > 0.0 {
            format!("{:.0}s", (total - self.done.min(total)) as f64 / rate)
        } else {
            "?".into()
        };
        let percent = if total > 0 {
            100.0 * self.done as f64 / total as f64
        } else {
            100.0
        };
        eprintln!(
            "wirehouse: {}/{total} files ({percent:.1}%), {rate:.0} files/s, ETA {eta}",
            self.done
        );
    }

    /// Clears the bar (or writes a last log line).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if self.log {
            self.log_line();
        }
    }
}

/// A bar with a length and an ETA once the total is known; before that, a
/// count and a rate.
fn set_style(bar: &ProgressBar, total_known: bool) {
    let template = if total_known {
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} files  {per_sec}  ETA {eta}"
    } else {
        "{spinner} [{elapsed_precise}] {pos} files (still finding files)  {per_sec}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
}

impl wirehouse_pipeline::Progress for Progress {
    fn shows(&self) -> bool {
        Progress::shows(self)
    }
    fn set_total(&mut self, total: u64) {
        Progress::set_total(self, total);
    }
    fn advance_to(&mut self, done: u64) {
        Progress::advance_to(self, done);
    }
    fn finish(&mut self) {
        Progress::finish(self);
    }
}
