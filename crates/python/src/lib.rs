//! `wirehouse` for Python: the same crates as the command-line program,
//! behind a PyO3 module (built by maturin as one abi3 wheel).
//!
//! Nothing here decides anything about records: arguments are converted,
//! the pipeline crate is called with the GIL released, and its results are
//! handed back as Arrow tables (through the Arrow C data interface, so
//! pyarrow, polars and DuckDB take them without copying) or JSON.

/// mimalloc for the Rust side, as in the CLI (see its `main.rs` and
/// BENCHMARKS.md: parsing pages allocates and frees many small nodes, and
/// the system allocator cost 10–20% of a run). Python's own objects keep
/// Python's allocator; polars' extension does the same.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_pyarrow::{FromPyArrow, IntoPyArrow, ToPyArrow};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use wirehouse_extract::Limits;
use wirehouse_load::batch::{reject_batch, ArticleBatch};
use wirehouse_load::schema::{article_schema, reject_schema};
use wirehouse_pipeline::records::Records as PipelineRecords;
use wirehouse_pipeline::units::{self, EngineRun as PipelineRun, Unit, UnitInput, UnitSpec};
use wirehouse_transform::{ProfileSet, Transformer};

/// An error of the pipeline as a Python `RuntimeError`, with its causes.
fn failed(err: anyhow::Error) -> PyErr {
    let reason: Vec<String> = err.chain().map(ToString::to_string).collect();
    PyRuntimeError::new_err(reason.join(": "))
}

fn invalid(what: &str, err: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("{what}: {err}"))
}

/// Transformers by profiles folder, built once per process: a task of an
/// engine job runs many units with the same profiles.
fn transformer(profiles: Option<PathBuf>) -> PyResult<Arc<Transformer>> {
    static CACHE: Mutex<Option<HashMap<Option<PathBuf>, Arc<Transformer>>>> = Mutex::new(None);
    let mut cache = CACHE
        .lock()
        .map_err(|_| PyRuntimeError::new_err("the profile cache is poisoned"))?;
    let cache = cache.get_or_insert_with(HashMap::new);
    if let Some(found) = cache.get(&profiles) {
        return Ok(Arc::clone(found));
    }
    let set = match &profiles {
        Some(dir) => ProfileSet::from_dir(dir),
        None => ProfileSet::builtin(),
    }
    .map_err(|e| invalid("profiles", e))?;
    let made = Arc::new(Transformer::new(set));
    cache.insert(profiles, Arc::clone(&made));
    Ok(made)
}

fn limits(max_file_bytes: Option<u64>) -> PyResult<Limits> {
    let mut limits = Limits::default();
    if let Some(max) = max_file_bytes {
        if max == 0 {
            return Err(PyValueError::new_err("max_file_bytes must be at least 1"));
        }
        limits.max_file_bytes = max;
    }
    Ok(limits)
}

fn threads(n: usize) -> usize {
    if n == 0 {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        n
    }
}

/// Records and rejects of some files, as a run would write them.
#[pyclass(module = "wirehouse", frozen, get_all)]
struct Records {
    /// The `articles` rows: the dataset's columns and `source`, `year`.
    articles: Py<PyAny>,
    /// The `rejects` rows.
    rejects: Py<PyAny>,
    /// Files whose bytes an earlier record had.
    duplicates: u64,
    /// Files taken (`len(articles) + duplicates + len(rejects)`).
    files: u64,
}

#[pymethods]
impl Records {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let rows = |t: &Py<PyAny>| -> PyResult<usize> { t.bind(py).len() };
        Ok(format!(
            "Records(files={}, articles={}, duplicates={}, rejects={})",
            self.files,
            rows(&self.articles)?,
            self.duplicates,
            rows(&self.rejects)?
        ))
    }
}

/// Arrow tables of `records`, with the dataset's schemas.
fn to_python(py: Python<'_>, records: PipelineRecords) -> PyResult<Records> {
    let (articles, rejects) = py
        .detach(|| {
            Ok::<_, arrow_schema::ArrowError>((
                ArticleBatch::with_partition_columns(&records.articles)?,
                reject_batch(&records.rejects)?,
            ))
        })
        .map_err(|e| PyRuntimeError::new_err(format!("building Arrow batches: {e}")))?;
    let table = |batch: RecordBatch, schema| -> PyResult<Py<PyAny>> {
        Ok(arrow_pyarrow::Table::try_new(vec![batch], schema)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?
            .into_pyarrow(py)?
            .unbind())
    };
    Ok(Records {
        articles: table(articles, article_schema())?,
        rejects: table(rejects, reject_schema())?,
        duplicates: records.duplicates,
        files: records.files,
    })
}

/// Paths from one path or a sequence of them (str or os.PathLike).
fn paths_of(paths: &Bound<'_, PyAny>) -> PyResult<Vec<PathBuf>> {
    if let Ok(one) = paths.extract::<PathBuf>() {
        return Ok(vec![one]);
    }
    paths
        .try_iter()?
        .map(|item| item?.extract::<PathBuf>())
        .collect()
}

/// Reads the article files under `paths` (files or folders, in the order
/// `wirehouse run` takes them) and returns their records and rejects.
#[pyfunction]
#[pyo3(signature = (paths, *, profiles=None, max_file_bytes=None, threads=0))]
fn read(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    profiles: Option<PathBuf>,
    max_file_bytes: Option<u64>,
    threads: usize,
) -> PyResult<Records> {
    let inputs = paths_of(paths)?;
    let limits = limits(max_file_bytes)?;
    let transformer = transformer(profiles)?;
    let n = self::threads(threads);
    let records = py
        .detach(|| wirehouse_pipeline::records::read(&inputs, &limits, &transformer, n))
        .map_err(failed)?;
    to_python(py, records)
}

/// Transforms files given as bytes: any Arrow table or batch (pyarrow,
/// polars, …) with a `path` (string) and a `content` (binary) column.
#[pyfunction]
#[pyo3(signature = (batch, *, profiles=None, max_file_bytes=None, threads=0))]
fn transform(
    py: Python<'_>,
    batch: &Bound<'_, PyAny>,
    profiles: Option<PathBuf>,
    max_file_bytes: Option<u64>,
    threads: usize,
) -> PyResult<Records> {
    let batches = match arrow_pyarrow::Table::from_pyarrow_bound(batch) {
        Ok(table) => table.into_inner().0,
        Err(_) => vec![RecordBatch::from_pyarrow_bound(batch)?],
    };
    let mut items = Vec::new();
    for batch in &batches {
        let column = |name: &str| {
            batch.column_by_name(name).ok_or_else(|| {
                PyValueError::new_err(format!(
                    "the batch has no `{name}` column (it needs `path`: string, `content`: binary)"
                ))
            })
        };
        let paths = strings(column("path")?)?;
        let contents = binaries(column("content")?)?;
        for (path, content) in paths.into_iter().zip(contents) {
            let path = path.ok_or_else(|| PyValueError::new_err("a `path` is null"))?;
            let content = content
                .ok_or_else(|| PyValueError::new_err(format!("the `content` of {path} is null")))?;
            items.push((path, content));
        }
    }
    let limits = limits(max_file_bytes)?;
    let transformer = transformer(profiles)?;
    let n = self::threads(threads);
    let records = py
        .detach(|| wirehouse_pipeline::records::transform_bytes(items, &limits, &transformer, n))
        .map_err(failed)?;
    to_python(py, records)
}

fn strings(array: &dyn Array) -> PyResult<Vec<Option<String>>> {
    let own = |v: Option<&str>| v.map(str::to_string);
    if let Some(a) = array.as_string_opt::<i32>() {
        return Ok(a.iter().map(own).collect());
    }
    if let Some(a) = array.as_string_opt::<i64>() {
        return Ok(a.iter().map(own).collect());
    }
    if let Some(a) = array.as_string_view_opt() {
        return Ok(a.iter().map(own).collect());
    }
    Err(PyValueError::new_err(format!(
        "`path` must be a string column, not {}",
        array.data_type()
    )))
}

fn binaries(array: &dyn Array) -> PyResult<Vec<Option<Vec<u8>>>> {
    let own = |v: Option<&[u8]>| v.map(<[u8]>::to_vec);
    if let Some(a) = array.as_binary_opt::<i32>() {
        return Ok(a.iter().map(own).collect());
    }
    if let Some(a) = array.as_binary_opt::<i64>() {
        return Ok(a.iter().map(own).collect());
    }
    if let Some(a) = array.as_binary_view_opt() {
        return Ok(a.iter().map(own).collect());
    }
    Err(PyValueError::new_err(format!(
        "`content` must be a binary column, not {}",
        array.data_type()
    )))
}

/// One file through the pipeline, as a dict: its record's columns with
/// `outcome = "record"`, or its reject's with `outcome = "reject"`.
#[pyfunction]
#[pyo3(signature = (path, *, profiles=None, max_file_bytes=None))]
fn inspect<'py>(
    py: Python<'py>,
    path: PathBuf,
    profiles: Option<PathBuf>,
    max_file_bytes: Option<u64>,
) -> PyResult<Bound<'py, PyDict>> {
    if !path.is_file() {
        return Err(PyValueError::new_err(format!(
            "{} is not a file",
            path.display()
        )));
    }
    let records = read(
        py,
        &path.clone().into_pyobject(py)?.into_any(),
        profiles,
        max_file_bytes,
        1,
    )?;
    let (table, outcome) = if records.articles.bind(py).len()? == 1 {
        (records.articles.bind(py).clone(), "record")
    } else {
        (records.rejects.bind(py).clone(), "reject")
    };
    let rows = table.call_method0("to_pylist")?;
    let row = rows.get_item(0)?.cast_into::<PyDict>()?;
    row.set_item("outcome", outcome)?;
    Ok(row)
}

/// The site profiles (built in, or those of a folder), as dicts.
#[pyfunction]
#[pyo3(signature = (profiles=None))]
fn profiles<'py>(py: Python<'py>, profiles: Option<PathBuf>) -> PyResult<Bound<'py, PyList>> {
    let transformer = transformer(profiles)?;
    let list = PyList::empty(py);
    for profile in transformer.profiles().iter() {
        let d = PyDict::new(py);
        d.set_item("name", &profile.name)?;
        d.set_item("source", profile.source.as_deref())?;
        d.set_item("hosts", &profile.hosts)?;
        d.set_item("origin", &profile.origin)?;
        let published: Vec<&str> = profile
            .published
            .iter()
            .map(|p| p.locator.describe.as_str())
            .collect();
        d.set_item("published", published)?;
        list.append(d)?;
    }
    Ok(list)
}

/// The driver of a run on an engine: opens the output folder and a new
/// generation; plans work units; takes their reports; commits.
#[pyclass(module = "wirehouse")]
struct EngineRun {
    run: Mutex<Option<PipelineRun>>,
}

impl EngineRun {
    fn with<T>(&self, f: impl FnOnce(&mut PipelineRun) -> anyhow::Result<T>) -> PyResult<T> {
        let mut guard = self
            .run
            .lock()
            .map_err(|_| PyRuntimeError::new_err("the run is poisoned"))?;
        let run = guard
            .as_mut()
            .ok_or_else(|| PyRuntimeError::new_err("this run is already committed"))?;
        f(run).map_err(failed)
    }
}

fn units_json(units: &[Unit]) -> PyResult<Vec<String>> {
    units
        .iter()
        .map(|u| serde_json::to_string(u).map_err(|e| PyRuntimeError::new_err(e.to_string())))
        .collect()
}

#[pymethods]
impl EngineRun {
    /// Begins a run of the pipeline file `pipeline` (its inputs, output,
    /// profiles and limits, as `wirehouse run` reads it).
    #[new]
    #[pyo3(signature = (pipeline, *, engine="python", workers=1))]
    fn new(py: Python<'_>, pipeline: PathBuf, engine: &str, workers: usize) -> PyResult<Self> {
        let config =
            wirehouse_pipeline::resolve(Some(&pipeline), wirehouse_pipeline::Overrides::default())
                .map_err(failed)?;
        let run = py
            .detach(|| PipelineRun::begin(config, engine, workers))
            .map_err(failed)?;
        Ok(EngineRun {
            run: Mutex::new(Some(run)),
        })
    }

    /// The output folder.
    #[getter]
    fn output(&self) -> PyResult<String> {
        self.with(|run| Ok(run.config().output.to_string_lossy().into_owned()))
    }

    /// The input roots, in order, as written (`s3://…` stays a URI).
    #[getter]
    fn inputs(&self) -> PyResult<Vec<String>> {
        self.with(|run| {
            Ok(run
                .config()
                .inputs
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect())
        })
    }

    /// Whether the run fails on unmet expectations (`on_expectation = "fail"`).
    #[getter]
    fn strict(&self) -> PyResult<bool> {
        self.with(|run| Ok(run.config().strict))
    }

    /// What the tasks need (JSON), for `run_unit`.
    #[getter]
    fn spec(&self) -> PyResult<String> {
        self.with(|run| Ok(serde_json::to_string(&run.spec())?))
    }

    /// The local inputs in units of `files_per_unit` files (JSON each).
    fn plan(&self, py: Python<'_>, files_per_unit: usize) -> PyResult<Vec<String>> {
        let units = py.detach(|| self.with(|run| run.plan_local(files_per_unit)))?;
        units_json(&units)
    }

    /// Objects listed by the caller, per input root: (source_path,
    /// location) pairs; the article files among them in input order, in
    /// units (JSON each).
    fn plan_listing(
        &self,
        roots: Vec<Vec<(String, String)>>,
        files_per_unit: usize,
    ) -> PyResult<Vec<String>> {
        let units = self.with(|run| run.plan_listing(roots, files_per_unit))?;
        units_json(&units)
    }

    /// Takes a unit's report (JSON, from `run_unit`).
    fn add(&self, report: &str) -> PyResult<()> {
        let report: units::UnitReport =
            serde_json::from_str(report).map_err(|e| invalid("report", e))?;
        self.with(|run| run.add(report))
    }

    /// Units to run again, each with the input positions to skip.
    fn redo(&self, py: Python<'_>) -> PyResult<Vec<(u32, Vec<u64>)>> {
        py.detach(|| self.with(|run| run.redo()))
    }

    /// Commits the run; returns its summary (JSON).
    fn commit(&self, py: Python<'_>) -> PyResult<String> {
        let run = self
            .run
            .lock()
            .map_err(|_| PyRuntimeError::new_err("the run is poisoned"))?
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("this run is already committed"))?;
        let summary = py.detach(|| run.commit()).map_err(failed)?;
        serde_json::to_string(&summary).map_err(|e| PyRuntimeError::new_err(e.to_string()))
    }
}

fn spec_and_unit(spec: &str, unit: &str) -> PyResult<(UnitSpec, Unit)> {
    Ok((
        serde_json::from_str(spec).map_err(|e| invalid("spec", e))?,
        serde_json::from_str(unit).map_err(|e| invalid("unit", e))?,
    ))
}

/// Runs a unit whose files are local paths (its locations); returns its
/// report (JSON) for `EngineRun.add`.
#[pyfunction]
#[pyo3(signature = (spec, unit, skip=Vec::new()))]
fn run_unit(py: Python<'_>, spec: &str, unit: &str, skip: Vec<u64>) -> PyResult<String> {
    let (spec, unit) = spec_and_unit(spec, unit)?;
    let transformer = transformer(spec.profiles.clone())?;
    let paths = unit.locations.iter().map(PathBuf::from).collect();
    let report = py
        .detach(|| units::run_unit(&spec, &transformer, &unit, UnitInput::Paths(paths), &skip))
        .map_err(failed)?;
    serde_json::to_string(&report).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// Runs a unit whose bytes the caller fetched: `contents[i]` the bytes of
/// file `i`, or `None` with `errors[i]` saying why they could not be had.
#[pyfunction]
#[pyo3(signature = (spec, unit, contents, errors, skip=Vec::new()))]
fn run_unit_bytes(
    py: Python<'_>,
    spec: &str,
    unit: &str,
    contents: Vec<Option<Vec<u8>>>,
    errors: Vec<Option<String>>,
    skip: Vec<u64>,
) -> PyResult<String> {
    let (spec, unit) = spec_and_unit(spec, unit)?;
    if errors.len() != contents.len() {
        return Err(PyValueError::new_err(
            "contents and errors differ in length",
        ));
    }
    let transformer = transformer(spec.profiles.clone())?;
    let items = contents
        .into_iter()
        .zip(errors)
        .map(|(content, error)| {
            content.ok_or_else(|| error.unwrap_or_else(|| "no bytes given".to_string()))
        })
        .collect();
    let report = py
        .detach(|| units::run_unit(&spec, &transformer, &unit, UnitInput::Bytes(items), &skip))
        .map_err(failed)?;
    serde_json::to_string(&report).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// The Arrow schemas of the two datasets: (articles, rejects), as pyarrow.
#[pyfunction]
fn schemas(py: Python<'_>) -> PyResult<(Bound<'_, PyAny>, Bound<'_, PyAny>)> {
    Ok((
        article_schema().as_ref().to_pyarrow(py)?,
        reject_schema().as_ref().to_pyarrow(py)?,
    ))
}

/// wirehouse: news feed items → normalized records, from Python.
#[pymodule]
fn _wirehouse(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<Records>()?;
    m.add_class::<EngineRun>()?;
    m.add_function(wrap_pyfunction!(read, m)?)?;
    m.add_function(wrap_pyfunction!(transform, m)?)?;
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    m.add_function(wrap_pyfunction!(profiles, m)?)?;
    m.add_function(wrap_pyfunction!(run_unit, m)?)?;
    m.add_function(wrap_pyfunction!(run_unit_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(schemas, m)?)?;
    Ok(())
}
