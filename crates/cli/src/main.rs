//! `wirehouse`: the command-line program. It only wires the library crates:
//! arguments and pipeline files become a [`wirehouse_pipeline::RunConfig`],
//! and [`wirehouse_pipeline::run`] drives discover → extract → transform →
//! load; this crate parses arguments, draws progress and prints reports.
//!
//! Exit codes: 0 on success (a run with rejects succeeds), 2 when the run
//! cannot start or cannot write its output, with a one-line reason on stderr;
//! 3 when a run committed its output but a profile's expectations were not
//! met and the run was asked to fail on that (`--strict`,
//! `on_expectation = "fail"`); `inspect` exits 1 when the file it inspects is
//! rejected.

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

use clap::Parser;

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
            let reason: Vec<String> = err.chain().map(ToString::to_string).collect();
            let _ = writeln!(std::io::stderr(), "wirehouse: error: {}", reason.join(": "));
            ExitCode::from(2)
        }
    }
}

fn dispatch(args: cli::Cli) -> anyhow::Result<ExitCode> {
    match args.command {
        cli::Command::Run(run_args) => {
            let (mode, pipeline) = (run_args.progress, run_args.pipeline.clone());
            let config = wirehouse_pipeline::resolve(pipeline.as_deref(), run_args.into())?;
            let mut progress = progress::Progress::new(mode, None);
            let summary = wirehouse_pipeline::run(&config, &mut progress)?;
            report::print_summary(&config, &summary)?;
            report::print_shortfalls(&config, &summary)?;
            if config.strict && !summary.shortfalls.is_empty() {
                return Ok(ExitCode::from(wirehouse_pipeline::EXPECTATIONS_NOT_MET));
            }
        }
        cli::Command::Profiles(args) => inspect::profiles(&args)?,
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
