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
    total: u64,
    done: u64,
    started: Instant,
    last_log: Instant,
}

impl Progress {
    /// Progress over `total` files, shown as `mode` says.
    pub fn new(mode: ProgressMode, total: u64) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let (bar, log) = match mode {
            ProgressMode::Auto if terminal => (true, false),
            ProgressMode::Auto => (false, true),
            ProgressMode::Bar => (true, false),
            ProgressMode::Log => (false, true),
            ProgressMode::Quiet => (false, false),
        };
        let bar = bar.then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} files  {per_sec}  ETA {eta}",
            ) {
                bar.set_style(style);
            }
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
        let eta = if rate > 0.0 {
            format!(
                "{:.0}s",
                (self.total - self.done.min(self.total)) as f64 / rate
            )
        } else {
            "?".into()
        };
        let percent = if self.total > 0 {
            100.0 * self.done as f64 / self.total as f64
        } else {
            100.0
        };
        eprintln!(
            "wirehouse: {}/{} files ({percent:.1}%), {rate:.0} files/s, ETA {eta}",
            self.done, self.total
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
