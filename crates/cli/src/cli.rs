//! Command-line arguments, as typed.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// wirehouse: feed-archive article files → normalized Parquet datasets.
#[derive(Debug, Parser)]
#[command(name = "wirehouse", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Extract, normalize and load every article file under the inputs.
    ///
    /// Options come from a pipeline file, from flags, or both (flags win).
    Run(RunArgs),
    /// List the site profiles: hosts, and where each field is read from.
    Profiles(ProfilesArgs),
    /// Print the record one file becomes, and which profile rule produced
    /// each field (exits 1 if the file is rejected).
    Inspect(InspectArgs),
    /// Publication statistics of a dataset: tables (Parquet, CSV), a Markdown
    /// summary, PNG charts and an HTML report.
    Stats(StatsArgs),
    /// The records of a dataset that lack a field, grouped by layout
    /// fingerprint, biggest group first: which new template to write rules
    /// for.
    Coverage(CoverageArgs),
    /// Remove files of a Delta dataset's old versions: those no version
    /// younger than the retention needs (data files, old runs' manifests).
    /// Versions older than the retention can no longer be read after it.
    Vacuum(VacuumArgs),
    /// Scale real article files into a large synthetic corpus, every file's
    /// clocks moved by its own random offset (deterministic for a seed).
    GenCorpus(GenCorpusArgs),
}

#[derive(Debug, Args)]
pub struct VacuumArgs {
    /// The Delta dataset: a folder, or a URL such as s3://bucket/dataset.
    #[arg(long, value_name = "DIR|URL")]
    pub dataset: PathBuf,

    /// Keep every file a version younger than this many hours needs
    /// (default one week: a week of versions stays readable).
    #[arg(long, value_name = "HOURS", default_value_t = 168)]
    pub retain_hours: u64,

    /// Say what would be removed, remove nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub storage: StorageArgs,
}

/// How object stores are reached, beyond the environment.
#[derive(Debug, Args)]
pub struct StorageArgs {
    /// An S3-compatible server (MinIO, Ceph, a local test server), e.g.
    /// http://127.0.0.1:9000; else AWS_ENDPOINT_URL, else AWS.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Allow a plain-HTTP endpoint.
    #[arg(long)]
    pub allow_http: bool,
}

#[derive(Debug, Args)]
pub struct GenCorpusArgs {
    /// Folder of template article files (searched recursively).
    #[arg(long, value_name = "DIR")]
    pub templates: PathBuf,

    /// How many files to write.
    #[arg(long, value_name = "N")]
    pub count: u64,

    /// Output folder (1,000 files per subfolder).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Seed of the offsets.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Output folder of `wirehouse run` (holding articles/ and rejects/).
    #[arg(long, value_name = "DIR")]
    pub dataset: PathBuf,

    /// Folder for the tables, summary, charts and report.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Only this source (repeatable).
    #[arg(long = "source", value_name = "SOURCE")]
    pub sources: Vec<String>,

    /// Only articles on or after this UTC day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub since: Option<chrono::NaiveDate>,

    /// Only articles on or before this UTC day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub until: Option<chrono::NaiveDate>,

    /// The zone of a source's local hour × weekday matrix, e.g. `dw=Europe/Berlin` (repeatable).
    #[arg(long = "zone", value_name = "SOURCE=ZONE")]
    pub zones: Vec<String>,

    /// Skip the PNG charts (tables, summary and report only).
    #[arg(long)]
    pub no_charts: bool,
}

#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Output folder of `wirehouse run` (holding articles/).
    pub dataset: PathBuf,

    /// Only this source (repeatable).
    #[arg(long = "source", value_name = "SOURCE")]
    pub sources: Vec<String>,

    /// Only this field (repeatable): published, byline, lead, copyright,
    /// images, empty_body, unplaced, negative_lag.
    #[arg(long = "field", value_name = "FIELD")]
    pub fields: Vec<String>,

    /// Layout groups shown per source and field.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub limit: usize,
}

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// Folder of site profiles (*.toml) instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub profiles: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The article file.
    pub file: PathBuf,

    /// Folder of site profiles (*.toml) instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub profiles: Option<PathBuf>,

    /// Print the whole body text instead of its first and last paragraph.
    #[arg(long)]
    pub full: bool,

    /// List every text block of the page in page order, with the field it
    /// went to (or `dropped`) and the rule that sent it there.
    #[arg(long)]
    pub blocks: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Pipeline file (TOML) with inputs, output and options; its relative
    /// paths are relative to the file's folder.
    pub pipeline: Option<PathBuf>,

    /// Input folder or file, or a place in an object store such as
    /// s3://bucket/archive (also gs://, az://, file://) (repeatable);
    /// replaces the pipeline's inputs.
    #[arg(long = "input", short = 'i', value_name = "PATH|URL")]
    pub inputs: Vec<PathBuf>,

    /// Output folder for the datasets, or (with --format delta) a URL such
    /// as s3://bucket/dataset; replaces the pipeline's output.
    #[arg(long, short = 'o', value_name = "DIR|URL")]
    pub output: Option<PathBuf>,

    /// How the dataset is published: parquet (a local folder of
    /// generations, the default) or delta (Delta Lake tables, on a disk or
    /// in an object store).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<wirehouse_pipeline::Format>,

    #[command(flatten)]
    pub storage: StorageArgs,

    /// Folder of site profiles (*.toml) to use instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub profiles: Option<PathBuf>,

    /// Worker threads for extraction (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Files larger than this are rejected as too_large.
    #[arg(long, value_name = "BYTES")]
    pub max_file_bytes: Option<u64>,

    /// Progress display: a bar on a terminal, log lines otherwise.
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,

    /// When another run is writing the output folder, wait up to this many
    /// seconds for it instead of refusing at once.
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub wait: u64,

    /// Process every file again instead of only new and changed ones.
    #[arg(long)]
    pub full: bool,

    /// Exit with status 3 (after committing) when a profile's expectations
    /// are not met; the same as `on_expectation = "fail"` in the pipeline.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressMode {
    /// A bar when stderr is a terminal, log lines when it is not.
    Auto,
    /// Always a bar.
    Bar,
    /// Always log lines.
    Log,
    /// Nothing but the final summary.
    Quiet,
}

impl From<RunArgs> for wirehouse_pipeline::Overrides {
    fn from(args: RunArgs) -> Self {
        wirehouse_pipeline::Overrides {
            inputs: args.inputs,
            output: args.output,
            profiles: args.profiles,
            threads: args.threads,
            max_file_bytes: args.max_file_bytes,
            wait: args.wait,
            full: args.full,
            strict: args.strict,
            format: args.format,
            endpoint: args.storage.endpoint,
            allow_http: args.storage.allow_http,
        }
    }
}
