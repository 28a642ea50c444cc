//! Pipeline files and flags → one validated [`RunConfig`].

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;
use wirehouse_extract::Limits;

use crate::cli::RunArgs;
use crate::run::RunConfig;

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
}

/// `on_expectation` in a pipeline file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum OnExpectation {
    Warn,
    Fail,
}

/// Merges the pipeline file (if any) and the flags, and checks the result
/// before anything is read.
pub fn resolve(args: RunArgs) -> anyhow::Result<RunConfig> {
    let (file, base) = match &args.pipeline {
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
        file.inputs.iter().map(from_file).collect()
    } else {
        args.inputs.clone()
    };
    if inputs.is_empty() {
        bail!("no input: give a pipeline file with inputs, or --input PATH");
    }
    for input in &inputs {
        if !input.exists() {
            bail!("input {} does not exist", input.display());
        }
    }
    let Some(output) = args
        .output
        .clone()
        .or_else(|| file.output.as_ref().map(from_file))
    else {
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
    Ok(RunConfig {
        name: file.name,
        inputs,
        output,
        profiles,
        threads,
        limits,
        progress: args.progress,
        wait: std::time::Duration::from_secs(args.wait),
        full: args.full,
        strict: args.strict || file.on_expectation == Some(OnExpectation::Fail),
    })
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
    use crate::cli::ProgressMode;

    fn args(pipeline: Option<PathBuf>) -> RunArgs {
        RunArgs {
            pipeline,
            inputs: vec![],
            output: None,
            profiles: None,
            threads: None,
            max_file_bytes: None,
            progress: ProgressMode::Quiet,
            wait: 0,
            full: false,
            strict: false,
        }
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
    fn no_output_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = args(None);
        a.inputs = vec![dir.path().to_path_buf()];
        assert!(resolve(a).unwrap_err().to_string().starts_with("no output"));
    }
}
