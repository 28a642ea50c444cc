//! Pipeline files and flags → one validated [`RunConfig`].
//!
//! The one reading of a pipeline file: `wirehouse run`, the Python package
//! and the engine jobs all resolve theirs here.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;
use wirehouse_extract::Limits;
use wirehouse_store::{Location, StoreOptions};

/// Everything a run needs, validated.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The pipeline's display name.
    pub name: Option<String>,
    /// Input folders or files, in the order given (the input order).
    pub inputs: Vec<PathBuf>,
    /// The output: a folder, or (Delta only) a URL such as `s3://bucket/ds`.
    pub output: PathBuf,
    /// How the dataset is written and published.
    pub format: Format,
    /// How stores are reached (inputs and a Delta output in a store).
    pub storage: StoreOptions,
    /// Per input, in order: its store, for an input that names one
    /// ([`is_remote`]); `None` for a local path.
    pub stores: Vec<Option<Location>>,
    /// A folder of site profiles; the built-in ones when `None`.
    pub profiles: Option<PathBuf>,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Limits on input files.
    pub limits: Limits,
    /// How long to wait for another run holding the output folder.
    pub wait: std::time::Duration,
    /// Process every file again instead of only new and changed ones.
    pub full: bool,
    /// Exit with [`crate::EXPECTATIONS_NOT_MET`] when a profile's
    /// expectation is not met (`--strict`, or `on_expectation = "fail"`).
    pub strict: bool,
}

/// What a caller sets over a pipeline file's values (the CLI's flags): set
/// fields replace the file's.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Replace the pipeline's inputs (when not empty).
    pub inputs: Vec<PathBuf>,
    /// Replace the pipeline's output.
    pub output: Option<PathBuf>,
    /// Replace the pipeline's profiles folder.
    pub profiles: Option<PathBuf>,
    /// Replace the pipeline's thread count (0: one per core).
    pub threads: Option<usize>,
    /// Replace the pipeline's size limit.
    pub max_file_bytes: Option<u64>,
    /// Seconds to wait for another run holding the output folder.
    pub wait: u64,
    /// Process every file again.
    pub full: bool,
    /// Fail (exit 3) on unmet expectations whatever the pipeline says.
    pub strict: bool,
    /// Replace the pipeline's output format.
    pub format: Option<Format>,
    /// Replace the pipeline's S3 endpoint.
    pub endpoint: Option<String>,
    /// Allow plain-HTTP endpoints.
    pub allow_http: bool,
}

/// How a dataset is written and published.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A local folder of Hive-partitioned Parquet files, published by the
    /// rename of a symbolic link (generations).
    #[default]
    Parquet,
    /// Delta Lake tables (`articles`, `rejects`) on a local disk or in an
    /// object store, each run one commit per table.
    Delta,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(text: &str) -> Result<Format, String> {
        match text {
            "parquet" => Ok(Format::Parquet),
            "delta" => Ok(Format::Delta),
            other => Err(format!("unknown format {other} (parquet or delta)")),
        }
    }
}

/// The `[storage]` table of a pipeline file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageSection {
    /// An S3-compatible server's address.
    endpoint: Option<String>,
    /// Allow plain-HTTP endpoints.
    #[serde(default)]
    allow_http: bool,
    /// Retries of one request before it fails.
    max_retries: Option<usize>,
    /// Seconds after which a request is no longer retried.
    retry_timeout_s: Option<u64>,
    /// Further store options, by `object_store`'s names.
    #[serde(default)]
    options: std::collections::HashMap<String, String>,
}

/// A pipeline file as written (`pipelines/*.toml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineFile {
    /// Display name.
    name: Option<String>,
    /// Input folders or files.
    #[serde(default)]
    inputs: Vec<PathBuf>,
    /// Output folder.
    output: Option<PathBuf>,
    /// Folder of site profiles; built-in profiles when absent.
    profiles: Option<PathBuf>,
    /// Worker threads; 0 or absent means one per core.
    threads: Option<usize>,
    /// Size limit per file, in bytes.
    max_file_bytes: Option<u64>,
    /// What a run does when a profile's expectations are not met: `warn`
    /// (print the shortfalls, exit 0) or `fail` (print them, exit 3 after
    /// committing).
    on_expectation: Option<OnExpectation>,
    /// `parquet` (a local folder of generations, the default) or `delta`.
    format: Option<Format>,
    /// How object stores are reached.
    storage: Option<StorageSection>,
}

/// `on_expectation` in a pipeline file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum OnExpectation {
    Warn,
    Fail,
}

/// Merges the pipeline file (if any) and the overrides, and checks the
/// result before anything is read.
pub fn resolve(pipeline: Option<&Path>, args: Overrides) -> anyhow::Result<RunConfig> {
    let (file, base) = match pipeline {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read pipeline file {}", path.display()))?;
            let file: PipelineFile = toml::from_str(&text).map_err(|e| {
                anyhow::anyhow!(
                    "invalid pipeline file {}: {}",
                    path.display(),
                    e.to_string().trim_end().replace('\n', " ")
                )
            })?;
            let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
            (file, base)
        }
        None => (PipelineFile::default(), PathBuf::new()),
    };
    let from_file = |p: &PathBuf| lexically_clean(&base.join(p));

    let inputs: Vec<PathBuf> = if args.inputs.is_empty() {
        file.inputs
            .iter()
            .map(|p| {
                if is_remote(p) {
                    p.clone()
                } else {
                    from_file(p)
                }
            })
            .collect()
    } else {
        args.inputs.clone()
    };
    if inputs.is_empty() {
        bail!("no input: give a pipeline file with inputs, or --input PATH");
    }
    for input in &inputs {
        if !is_remote(input) && !input.exists() {
            bail!("input {} does not exist", input.display());
        }
    }
    let Some(output) = args.output.clone().or_else(|| {
        file.output.as_ref().map(|p| {
            if is_remote(p) {
                p.clone()
            } else {
                from_file(p)
            }
        })
    }) else {
        bail!("no output: give a pipeline file with an output, or --output DIR");
    };
    for input in &inputs {
        if let (Ok(i), Ok(o)) = (input.canonicalize(), output.canonicalize()) {
            if i == o {
                bail!("the output {} is also an input", output.display());
            }
        }
    }
    let profiles = args
        .profiles
        .clone()
        .or_else(|| file.profiles.as_ref().map(from_file));
    let threads = match args.threads.or(file.threads) {
        None | Some(0) => std::thread::available_parallelism().map_or(1, usize::from),
        Some(n) => n,
    };
    let mut limits = Limits::default();
    if let Some(max) = args.max_file_bytes.or(file.max_file_bytes) {
        if max == 0 {
            bail!("max_file_bytes must be at least 1");
        }
        limits.max_file_bytes = max;
    }
    let format = args.format.or(file.format).unwrap_or_default();
    if is_remote(&output) && format != Format::Delta {
        bail!(
            "output {} is in an object store: wirehouse writes there only as Delta tables, whose commits are atomic on a store (add --format delta, or format = \"delta\" in the pipeline file)",
            output.display()
        );
    }
    let section = file.storage.unwrap_or_default();
    let mut storage = StoreOptions {
        endpoint: args.endpoint.clone().or(section.endpoint),
        allow_http: args.allow_http || section.allow_http,
        extra: section.options,
        ..StoreOptions::default()
    };
    if let Some(retries) = section.max_retries {
        storage.max_retries = retries;
    }
    if let Some(seconds) = section.retry_timeout_s {
        storage.retry_timeout = std::time::Duration::from_secs(seconds);
    }
    let stores = inputs
        .iter()
        .map(|input| match input.to_str() {
            Some(url) if is_remote(input) => Location::parse(url, &storage)
                .map(Some)
                .with_context(|| format!("cannot use input {url}")),
            _ => Ok(None),
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(RunConfig {
        name: file.name,
        inputs,
        output,
        format,
        storage,
        stores,
        profiles,
        threads,
        limits,
        wait: std::time::Duration::from_secs(args.wait),
        full: args.full,
        strict: args.strict || file.on_expectation == Some(OnExpectation::Fail),
    })
}

/// Whether an input or output names a place in a store
/// (`s3://bucket/prefix`, any `scheme://`) rather than a local path. Such
/// names are kept as written.
pub fn is_remote(input: &Path) -> bool {
    input.to_str().is_some_and(wirehouse_store::is_url)
}

impl RunConfig {
    /// The inputs that name objects in a store ([`is_remote`]).
    pub fn remote_inputs(&self) -> Vec<&Path> {
        self.inputs
            .iter()
            .map(PathBuf::as_path)
            .filter(|p| is_remote(p))
            .collect()
    }

    /// Fails, naming the first, when an input names objects in a store
    /// (work units of engine jobs are planned from local paths; the Ray job
    /// lists stores itself).
    pub fn require_local_inputs(&self) -> anyhow::Result<()> {
        if let Some(remote) = self.remote_inputs().first() {
            bail!(
                "input {} is in an object store; engine work units are planned from local folders and files (the Ray job, pipelines/ray_job.py, lists object stores itself; wirehouse run reads them directly)",
                remote.display()
            );
        }
        Ok(())
    }
}

/// `a/b/../c` → `a/c`, so messages show the paths people would write. Only
/// `..` after a named folder is folded; a leading `..` stays.
fn lexically_clean(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pipeline file and no overrides.
    struct Args {
        pipeline: Option<PathBuf>,
        inputs: Vec<PathBuf>,
        output: Option<PathBuf>,
        strict: bool,
    }

    fn args(pipeline: Option<PathBuf>) -> Args {
        Args {
            pipeline,
            inputs: vec![],
            output: None,
            strict: false,
        }
    }

    fn resolve(args: Args) -> anyhow::Result<RunConfig> {
        super::resolve(
            args.pipeline.as_deref(),
            Overrides {
                inputs: args.inputs,
                output: args.output,
                strict: args.strict,
                ..Overrides::default()
            },
        )
    }

    #[test]
    fn pipeline_paths_are_relative_to_the_pipeline_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("in")).unwrap();
        let file = dir.path().join("p.toml");
        std::fs::write(&file, "inputs = [\"in\"]\noutput = \"out\"\nthreads = 3\n").unwrap();
        let config = resolve(args(Some(file))).unwrap();
        assert_eq!(config.inputs, vec![dir.path().join("in")]);
        assert_eq!(config.output, dir.path().join("out"));
        assert_eq!(config.threads, 3);
    }

    #[test]
    fn pipeline_relative_paths_are_shown_clean() {
        assert_eq!(
            lexically_clean(Path::new("pipelines/../data/x")),
            Path::new("data/x")
        );
        assert_eq!(
            lexically_clean(Path::new("../data/./x")),
            Path::new("../data/x")
        );
        assert_eq!(lexically_clean(Path::new("/a/b/../../c")), Path::new("/c"));
        assert_eq!(lexically_clean(Path::new("a/..")), Path::new("."));
    }

    #[test]
    fn flags_replace_pipeline_values() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("in")).unwrap();
        let file = dir.path().join("p.toml");
        std::fs::write(&file, "inputs = [\"nope\"]\noutput = \"out\"\n").unwrap();
        let mut a = args(Some(file));
        a.inputs = vec![dir.path().join("in")];
        a.output = Some(dir.path().join("elsewhere"));
        let config = resolve(a).unwrap();
        assert_eq!(config.inputs, vec![dir.path().join("in")]);
        assert_eq!(config.output, dir.path().join("elsewhere"));
    }

    #[test]
    fn an_unknown_key_names_the_file_line_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.toml");
        std::fs::write(&file, "inputs = []\noutptu = \"x\"\n").unwrap();
        let message = resolve(args(Some(file))).unwrap_err().to_string();
        assert!(message.contains("p.toml"), "{message}");
        assert!(message.contains("outptu"), "{message}");
        assert!(message.contains("line 2"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }

    #[test]
    fn a_missing_input_is_named() {
        let mut a = args(None);
        a.inputs = vec![PathBuf::from("/no/such/folder")];
        a.output = Some(PathBuf::from("/tmp/x"));
        let message = resolve(a).unwrap_err().to_string();
        assert_eq!(message, "input /no/such/folder does not exist");
    }

    #[test]
    fn on_expectation_fail_makes_the_run_strict_and_a_flag_does_too() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("in")).unwrap();
        let file = dir.path().join("p.toml");
        let strict = |on: &str, flag: bool| {
            std::fs::write(&file, format!("inputs = [\"in\"]\noutput = \"out\"\n{on}")).unwrap();
            let mut a = args(Some(file.clone()));
            a.strict = flag;
            resolve(a).map(|c| c.strict).map_err(|e| e.to_string())
        };
        assert_eq!(strict("", false), Ok(false));
        assert_eq!(strict("on_expectation = \"warn\"\n", false), Ok(false));
        assert_eq!(strict("on_expectation = \"fail\"\n", false), Ok(true));
        assert_eq!(strict("on_expectation = \"warn\"\n", true), Ok(true));
        let message = strict("on_expectation = \"stop\"\n", false).unwrap_err();
        assert!(message.contains("unknown variant `stop`"), "{message}");
    }

    #[test]
    fn object_store_inputs_are_kept_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.toml");
        std::fs::write(
            &file,
            "inputs = [\"s3://bucket/archive/2021\"]\noutput = \"out\"\n",
        )
        .unwrap();
        let config = resolve(args(Some(file))).unwrap();
        assert_eq!(
            config.inputs,
            vec![PathBuf::from("s3://bucket/archive/2021")]
        );
        let message = config.require_local_inputs().unwrap_err().to_string();
        assert!(
            message.contains("s3://bucket/archive/2021 is in an object store"),
            "{message}"
        );
        assert!(!is_remote(Path::new("data/s3:/x")));
        assert!(!is_remote(Path::new("://x")));
        assert!(is_remote(Path::new("gs://b/p")));
    }

    #[test]
    fn no_output_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = args(None);
        a.inputs = vec![dir.path().to_path_buf()];
        assert!(resolve(a).unwrap_err().to_string().starts_with("no output"));
    }
}
