//! `wirehouse`: the command-line program. It only wires the library crates:
//! arguments and pipeline files become a [`wirehouse_pipeline::RunConfig`],
//! and [`wirehouse_pipeline::run`] drives discover → extract → transform →
//! load; this crate parses arguments, draws progress and prints reports.
//!
//! Exit codes: 0 on success (a run with rejects succeeds), 2 when the run
//! cannot start or cannot write its output, with a one-line reason on stderr;
//! 3 when a run committed its output but a profile's expectations were not
//! met and the run was asked to fail on that (`--strict`,
//! `on_expectation = "fail"`); 130 (SIGINT, Ctrl-C) or 143 (SIGTERM) when a
//! run was stopped by that signal: it removes what it wrote and says so;
//! `inspect` exits 1 when the file it inspects is rejected.

mod cli;
mod gen_corpus;
mod inspect;
mod progress;
mod report;
mod stats;

/// mimalloc instead of the system allocator: parsing a page allocates and
/// frees thousands of small nodes and strings, and with glibc's malloc that
/// was a sixth of all CPU time. mimalloc takes 10–20% off a run's time, for
/// some memory (see BENCHMARKS.md). Built with `no_thp`: it opts the process
/// out of transparent huge pages, which made every fresh 2 MiB of heap cost a
/// 2 MiB zeroing fault (13% of a run's samples) and added ~40 MB of RSS.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};

use clap::Parser;
use signal_hook::consts::{SIGINT, SIGTERM};
use wirehouse_pipeline::{Interrupted, NotPublished};

/// The signal that stopped the run, if one did.
static SIGNALLED: AtomicI32 = AtomicI32::new(0);

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match dispatch(args) {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`wirehouse … | head`) is not a failure.
            if err.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            let not_published = err.downcast_ref::<NotPublished>().cloned();
            let line = if err.downcast_ref::<Interrupted>().is_some() {
                let signal = match SIGNALLED.load(Ordering::SeqCst) {
                    SIGTERM => "SIGTERM",
                    _ => "SIGINT",
                };
                format!("wirehouse: stopped by {signal}")
            } else {
                // The context saying what was published goes last, once.
                let causes = err.chain().skip(usize::from(not_published.is_some()));
                format!("wirehouse: error: {}", reason(causes))
            };
            let line = match not_published {
                Some(np) => format!("{line}; {np}"),
                None => line,
            };
            let _ = writeln!(std::io::stderr(), "{line}");
            match SIGNALLED.load(Ordering::SeqCst) {
                SIGINT => ExitCode::from(wirehouse_pipeline::INTERRUPTED_BY_SIGINT),
                SIGTERM => ExitCode::from(wirehouse_pipeline::INTERRUPTED_BY_SIGTERM),
                _ => ExitCode::from(2),
            }
        }
    }
}

/// An error's causes joined by ": ", each said once: many errors print
/// their source in their own message and also return it as their source
/// (an I/O error inside a Parquet error inside ours), which would repeat
/// "No space left on device" once per layer.
fn reason<'a>(causes: impl Iterator<Item = &'a (dyn std::error::Error + 'static)>) -> String {
    let mut said = String::new();
    for cause in causes {
        let text = cause.to_string();
        if said.contains(&text) {
            continue;
        }
        if !said.is_empty() {
            said.push_str(": ");
        }
        said.push_str(&text);
    }
    said
}

/// SIGINT and SIGTERM ask a run to stop ([`wirehouse_pipeline::interrupt`]):
/// its workers stop taking files, it removes what it wrote and exits 130 or
/// 143 with a line saying so. A second signal ends the process at once (the
/// next run clears what it left).
fn catch_signals() {
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return; // Without a handler the signals keep their default effect.
    };
    std::thread::spawn(move || {
        for signal in signals.forever() {
            if SIGNALLED.swap(signal, Ordering::SeqCst) != 0 {
                std::process::exit(128 + signal);
            }
            wirehouse_pipeline::interrupt();
        }
    });
}

fn dispatch(args: cli::Cli) -> anyhow::Result<ExitCode> {
    match args.command {
        cli::Command::Run(run_args) => {
            let (mode, pipeline) = (run_args.progress, run_args.pipeline.clone());
            let config = wirehouse_pipeline::resolve(pipeline.as_deref(), run_args.into())?;
            let mut progress = progress::Progress::new(mode, None);
            catch_signals();
            let summary = wirehouse_pipeline::run(&config, &mut progress)?;
            report::print_summary(&config, &summary)?;
            report::print_shortfalls(&config, &summary)?;
            if config.strict && !summary.shortfalls.is_empty() {
                return Ok(ExitCode::from(wirehouse_pipeline::EXPECTATIONS_NOT_MET));
            }
        }
        cli::Command::Profiles(args) => inspect::profiles(&args)?,
        cli::Command::Vacuum(args) => {
            let storage = wirehouse_store::StoreOptions {
                endpoint: args.storage.endpoint,
                allow_http: args.storage.allow_http,
                ..Default::default()
            };
            let retain = std::time::Duration::from_secs(args.retain_hours * 3600);
            let done = wirehouse_pipeline::vacuum(&args.dataset, &storage, retain, args.dry_run)?;
            let verb = if args.dry_run {
                "would remove"
            } else {
                "removed"
            };
            for (table, files) in &done.files {
                println!(
                    "{table}: {verb} {files} data files no version younger than {} h needs",
                    args.retain_hours
                );
            }
            println!("{verb} {} manifests of earlier runs", done.manifests);
        }
        cli::Command::Stats(args) => stats::stats(&args)?,
        cli::Command::Coverage(args) => stats::coverage(&args)?,
        cli::Command::GenCorpus(args) => {
            let templates =
                gen_corpus::generate(&args.templates, args.count, &args.out, args.seed)?;
            eprintln!(
                "wirehouse gen-corpus: {} files from {templates} templates in {}",
                args.count,
                args.out.display()
            );
        }
        cli::Command::Inspect(args) => {
            if !inspect::inspect(&args)? {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
