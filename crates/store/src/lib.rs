//! Archives and datasets where the data lives: local folders, S3 (and what
//! speaks its protocol), Google Cloud Storage, Azure Blob Storage.
//!
//! The storage is Apache Arrow's `object_store` crate (the one DataFusion,
//! delta-rs and polars use); this crate only decides how wirehouse names a
//! place ([`Location`]), builds a store for it from the environment the
//! cloud tools read, lists an archive in the order a local run reads it
//! ([`Location::list`]), and fetches objects with a bounded number in
//! flight and retries ([`Fetcher`]).
//!
//! Everything here is blocking to its callers: the async store runs on one
//! shared tokio runtime ([`runtime`]), so the pipeline's worker threads and
//! writer stay the plain threads they are for local files.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig};
use url::Url;

pub use object_store;

/// What went wrong naming, listing or reading a place in a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The text is not a location wirehouse can use.
    #[error("{location}: {reason}")]
    BadLocation { location: String, reason: String },
    /// The store refused or failed an operation (after its retries).
    #[error("cannot {action} {location}: {source}")]
    Store {
        action: &'static str,
        location: String,
        #[source]
        source: object_store::Error,
    },
}

/// How wirehouse talks to a store, beyond what the environment says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// An S3-compatible server's address (`http://127.0.0.1:9000`); else
    /// `AWS_ENDPOINT_URL`, else AWS itself.
    pub endpoint: Option<String>,
    /// Allow plain `http://` endpoints (local servers, tests).
    pub allow_http: bool,
    /// Retries of one request on throttling (429/503), other 5xx answers and
    /// dropped connections, with exponential backoff.
    pub max_retries: usize,
    /// No request is retried once this long has passed since its first try.
    pub retry_timeout: Duration,
    /// Further options for the store, by `object_store`'s names
    /// (`aws_region`, `google_service_account`, `azure_storage_account_name`,
    /// `conditional_put`, …); they win over the environment.
    pub extra: HashMap<String, String>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            endpoint: None,
            allow_http: false,
            max_retries: 10,
            retry_timeout: Duration::from_secs(180),
            extra: HashMap::new(),
        }
    }
}

/// Whether `text` names a place in a store (`s3://bucket/prefix`, any
/// `scheme://`) rather than a local path.
pub fn is_url(text: &str) -> bool {
    text.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// The schemes a [`Location`] can have, for messages.
pub const SCHEMES: &str = "s3://, s3a://, gs://, az://, abfs://, abfss://, file://";

/// A place in a store: the store, and the prefix under it.
#[derive(Clone)]
pub struct Location {
    url: Url,
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Location({})", self.url)
    }
}

/// One object of an archive, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Its key relative to the location's prefix, `/`-separated.
    pub key: String,
    /// Size in bytes, from the listing.
    pub size: u64,
    /// The store's entity tag: changes whenever the object's bytes do.
    pub etag: Option<String>,
    /// Last modification, nanoseconds since 1970.
    pub modified_ns: i64,
}

impl Location {
    /// Parses `text` (a URL with one of [`SCHEMES`]) and builds its store:
    /// credentials, region and endpoint from the environment as the cloud
    /// tools read it (`AWS_*`, `GOOGLE_*`, `AZURE_*` variables, web identity
    /// and instance credentials), then `options`.
    pub fn parse(text: &str, options: &StoreOptions) -> Result<Location, StoreError> {
        let bad = |reason: String| StoreError::BadLocation {
            location: text.to_string(),
            reason,
        };
        let url = Url::parse(text).map_err(|e| bad(format!("not a URL ({e})")))?;
        let retry = RetryConfig {
            max_retries: options.max_retries,
            retry_timeout: options.retry_timeout,
            ..RetryConfig::default()
        };
        let client = ClientOptions::new()
            .with_allow_http(options.allow_http)
            // A stalled connection is retried rather than waited on forever.
            .with_timeout(Duration::from_secs(60))
            .with_connect_timeout(Duration::from_secs(10));
        let store_error = |e: object_store::Error| StoreError::Store {
            action: "use",
            location: text.to_string(),
            source: e,
        };
        let store: Arc<dyn ObjectStore> = match url.scheme() {
            "s3" | "s3a" => {
                use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
                let mut builder = AmazonS3Builder::from_env();
                // Keys in the environment win, as for the AWS CLI; else the
                // CLI's profile files.
                if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
                    for (key, value) in aws_profile_from_files() {
                        builder = builder.with_config(key, value);
                    }
                }
                let mut builder = builder
                    .with_url(url.as_str())
                    .with_retry(retry)
                    .with_client_options(client);
                if let Some(endpoint) = &options.endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                if options.allow_http {
                    builder = builder.with_allow_http(true);
                }
                for (key, value) in &options.extra {
                    let key: AmazonS3ConfigKey = key
                        .parse()
                        .map_err(|e| bad(format!("unknown S3 option {key} ({e})")))?;
                    builder = builder.with_config(key, value);
                }
                Arc::new(builder.build().map_err(store_error)?)
            }
            "gs" => {
                use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
                let mut builder = GoogleCloudStorageBuilder::from_env()
                    .with_url(url.as_str())
                    .with_retry(retry)
                    .with_client_options(client);
                for (key, value) in &options.extra {
                    let key: GoogleConfigKey = key
                        .parse()
                        .map_err(|e| bad(format!("unknown GCS option {key} ({e})")))?;
                    builder = builder.with_config(key, value);
                }
                Arc::new(builder.build().map_err(store_error)?)
            }
            "az" | "azure" | "abfs" | "abfss" | "adl" => {
                use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
                let mut builder = MicrosoftAzureBuilder::from_env()
                    .with_url(url.as_str())
                    .with_retry(retry)
                    .with_client_options(client);
                for (key, value) in &options.extra {
                    let key: AzureConfigKey = key
                        .parse()
                        .map_err(|e| bad(format!("unknown Azure option {key} ({e})")))?;
                    builder = builder.with_config(key, value);
                }
                Arc::new(builder.build().map_err(store_error)?)
            }
            "file" => {
                let path = url
                    .to_file_path()
                    .map_err(|()| bad("not a local path".into()))?;
                return Location::local(&path);
            }
            other => {
                return Err(bad(format!(
                    "unknown scheme {other}:// (wirehouse reads {SCHEMES})"
                )))
            }
        };
        // The bucket (or container) is the store; the URL's path is the prefix.
        let prefix = ObjectPath::from_url_path(url.path())
            .map_err(|e| bad(format!("bad key prefix ({e})")))?;
        Ok(Location { url, store, prefix })
    }

    /// A local folder, through the same interface (it need not exist yet:
    /// writing creates it).
    pub fn local(path: &std::path::Path) -> Result<Location, StoreError> {
        let bad = |reason: String| StoreError::BadLocation {
            location: path.display().to_string(),
            reason,
        };
        let absolute = std::fs::canonicalize(path)
            .or_else(|_| std::path::absolute(path))
            .map_err(|e| bad(e.to_string()))?;
        let url =
            Url::from_directory_path(&absolute).map_err(|()| bad("not an absolute path".into()))?;
        // Rooted at `/` with the folder as prefix, as a bucket's store is
        // rooted at the bucket: delta-rs expects a store of that shape.
        let prefix = ObjectPath::from_absolute_path(&absolute).map_err(|e| bad(e.to_string()))?;
        Ok(Location {
            url,
            store: Arc::new(object_store::local::LocalFileSystem::new()),
            prefix,
        })
    }

    /// The location as a URL (a local folder as `file:///…/`).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The store the location is in.
    pub fn store(&self) -> Arc<dyn ObjectStore> {
        Arc::clone(&self.store)
    }

    /// The location's prefix in its store.
    pub fn prefix(&self) -> &ObjectPath {
        &self.prefix
    }

    /// `key` (relative, `/`-separated) under this location.
    pub fn child(&self, key: &str) -> ObjectPath {
        // `parse` keeps the key as it is (a listing's keys come back so);
        // building it part by part would percent-encode every non-ASCII
        // byte (`纪录片` → `%E7%BA%AA…`), naming another object.
        let joined = match (self.prefix.as_ref(), key.trim_matches('/')) {
            ("", key) => key.to_string(),
            (prefix, "") => prefix.to_string(),
            (prefix, key) => format!("{prefix}/{key}"),
        };
        ObjectPath::parse(&joined).unwrap_or_else(|_| {
            let mut path = self.prefix.clone();
            for part in key.split('/').filter(|p| !p.is_empty()) {
                path = path.clone().join(part);
            }
            path
        })
    }

    /// The location one level down, `name/` under this one.
    pub fn join(&self, name: &str) -> Location {
        let mut url = self.url.clone();
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        let url = url
            .join(&format!("{name}/"))
            .unwrap_or_else(|_| self.url.clone());
        Location {
            url,
            store: Arc::clone(&self.store),
            prefix: self.child(name),
        }
    }

    /// The URL of `key` under this location, for messages.
    pub fn url_of(&self, key: &str) -> String {
        format!("{}/{key}", self.url.as_str().trim_end_matches('/'))
    }

    /// Every object under the location, keys in byte order (the order a
    /// local run reads a folder in), with what the listing says of each.
    /// The list is held whole: about 100 bytes per object.
    pub fn list(&self) -> Result<Vec<Object>, StoreError> {
        let store = self.store();
        let prefix = self.prefix.clone();
        let strip = prefix.as_ref().len();
        let listed: Result<Vec<object_store::ObjectMeta>, object_store::Error> =
            runtime().block_on(async move { store.list(Some(&prefix)).try_collect().await });
        let listed = listed.map_err(|e| StoreError::Store {
            action: "list",
            location: self.url.to_string(),
            source: e,
        })?;
        let mut objects: Vec<Object> = listed
            .into_iter()
            .map(|meta| {
                let key = meta.location.as_ref();
                let key = key.get(strip..).unwrap_or(key).trim_start_matches('/');
                Object {
                    key: key.to_string(),
                    size: meta.size,
                    etag: meta.e_tag,
                    modified_ns: meta.last_modified.timestamp_nanos_opt().unwrap_or(0),
                }
            })
            .collect();
        objects.sort_unstable_by(|a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
        Ok(objects)
    }

    /// Reads one object whole (blocking).
    pub fn get(&self, key: &str) -> Result<bytes::Bytes, StoreError> {
        let path = self.child(key);
        let store = self.store();
        runtime()
            .block_on(fetch(store, path, 1))
            .map_err(|e| StoreError::Store {
                action: "read",
                location: self.url_of(key),
                source: e,
            })
    }

    /// Writes one object whole (blocking), replacing any.
    pub fn put(&self, key: &str, bytes: bytes::Bytes) -> Result<(), StoreError> {
        let path = self.child(key);
        let store = self.store();
        runtime()
            .block_on(async move { store.put(&path, bytes.into()).await })
            .map(|_| ())
            .map_err(|e| StoreError::Store {
                action: "write",
                location: self.url_of(key),
                source: e,
            })
    }
}

/// The settings of the AWS CLI's profile `AWS_PROFILE` (else `default`) in
/// its files (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`;
/// `AWS_CONFIG_FILE`, else `~/.aws/config`), as the AWS tools read them.
/// Missing files give nothing.
fn aws_profile_from_files() -> Vec<(object_store::aws::AmazonS3ConfigKey, String)> {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let file = |variable: &str, default: &str| {
        std::env::var_os(variable)
            .map(std::path::PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default()
    };
    let profile = std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into());
    aws_profile(
        &profile,
        &file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        &file("AWS_CONFIG_FILE", "config"),
    )
}

/// A profile's static keys (from the credentials file, else the config
/// file), region and endpoint (config file), as `object_store` settings.
/// Profiles that get keys another way (SSO, `role_arn`,
/// `credential_process`) give only their region and endpoint.
pub fn aws_profile(
    profile: &str,
    credentials: &str,
    config: &str,
) -> Vec<(object_store::aws::AmazonS3ConfigKey, String)> {
    use object_store::aws::AmazonS3ConfigKey as Key;
    let parse = |text: &str| ini::Ini::load_from_str(text).unwrap_or_default();
    let (credentials, config) = (parse(credentials), parse(config));
    // The config file names profiles `[profile NAME]`, but `[default]`.
    let config_section = if profile == "default" {
        "default".to_string()
    } else {
        format!("profile {profile}")
    };
    let lookup = |name: &str| {
        credentials
            .section(Some(profile))
            .and_then(|s| s.get(name))
            .or_else(|| config.section(Some(config_section.as_str()))?.get(name))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(String::from)
    };
    let mut settings = Vec::new();
    for (name, key) in [
        ("aws_access_key_id", Key::AccessKeyId),
        ("aws_secret_access_key", Key::SecretAccessKey),
        ("aws_session_token", Key::Token),
        ("region", Key::Region),
        ("endpoint_url", Key::Endpoint),
    ] {
        if let Some(value) = lookup(name) {
            settings.push((key, value));
        }
    }
    settings
}

/// The runtime every store operation of the process runs on: two threads
/// are plenty to keep many requests in flight.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wirehouse-store")
            .enable_all()
            .build()
            .expect("cannot start the object store runtime")
    })
}

/// One GET, whole; a body cut off midway is read again up to `attempts`
/// times (the store's own retries cover the request, not the body).
async fn fetch(
    store: Arc<dyn ObjectStore>,
    path: ObjectPath,
    attempts: usize,
) -> Result<bytes::Bytes, object_store::Error> {
    let mut tried = 0;
    loop {
        tried += 1;
        let result = match store.get(&path).await {
            Ok(got) => got.bytes().await,
            Err(e) => Err(e),
        };
        match result {
            Ok(bytes) => return Ok(bytes),
            // Answers that another try would not change.
            Err(
                e @ (object_store::Error::NotFound { .. }
                | object_store::Error::PermissionDenied { .. }
                | object_store::Error::Unauthenticated { .. }),
            ) => return Err(e),
            Err(e) if tried >= attempts => return Err(e),
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100 << tried.min(6))).await;
            }
        }
    }
}

/// What a [`Fetcher`] hands back for one object: its bytes, or why it could
/// not be read (for an `io` reject).
pub type Fetched = Result<bytes::Bytes, String>;

/// A GET in flight.
pub struct Pending(tokio::task::JoinHandle<Fetched>);

impl Pending {
    /// Waits for the object.
    pub fn wait(self) -> Fetched {
        runtime()
            .block_on(self.0)
            .unwrap_or_else(|e| Err(format!("the read stopped: {e}")))
    }
}

/// Starts reading `key` under `location` now; [`Pending::wait`] takes the
/// result. Callers bound how many are in flight (the pipeline keeps a
/// window of them ahead of its workers).
pub fn start_get(location: &Location, key: &str) -> Pending {
    let (store, path) = (location.store(), location.child(key));
    let name = location.url_of(key);
    Pending(runtime().spawn(async move {
        fetch(store, path, 3)
            .await
            .map_err(|e| format!("cannot read {name}: {}", one_line(&e)))
    }))
}

/// An error and its causes on one line, each said once.
pub fn one_line(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_aws_profile_gives_its_keys_region_and_endpoint() {
        use object_store::aws::AmazonS3ConfigKey as Key;
        let credentials = "[default]\naws_access_key_id = AKD\naws_secret_access_key = SKD\n\n\
                           [lake]\naws_access_key_id=AKL\naws_secret_access_key=SKL\naws_session_token = TOK\n";
        let config = "[default]\nregion = eu-west-3\n\n[profile lake]\nregion = us-east-2\n\
                      endpoint_url = http://127.0.0.1:9000\n[profile sso]\nsso_start_url = https://x\nregion = ap-south-1\n";
        let pairs =
            |profile: &str| -> Vec<(Key, String)> { aws_profile(profile, credentials, config) };
        assert_eq!(
            pairs("default"),
            vec![
                (Key::AccessKeyId, "AKD".to_string()),
                (Key::SecretAccessKey, "SKD".to_string()),
                (Key::Region, "eu-west-3".to_string())
            ]
        );
        assert_eq!(
            pairs("lake"),
            vec![
                (Key::AccessKeyId, "AKL".to_string()),
                (Key::SecretAccessKey, "SKL".to_string()),
                (Key::Token, "TOK".to_string()),
                (Key::Region, "us-east-2".to_string()),
                (Key::Endpoint, "http://127.0.0.1:9000".to_string())
            ]
        );
        // Keys another way (SSO): only the region.
        assert_eq!(pairs("sso"), vec![(Key::Region, "ap-south-1".to_string())]);
        assert!(pairs("none").is_empty());
        assert!(aws_profile("default", "[default\nx", "").is_empty());
    }

    #[test]
    fn urls_are_told_from_paths() {
        assert!(is_url("s3://bucket/prefix"));
        assert!(is_url("file:///tmp/x"));
        assert!(!is_url("/tmp/x"));
        assert!(!is_url("data/a://b"));
        assert!(!is_url("://x"));
    }

    #[test]
    fn unknown_schemes_say_which_are_known() {
        let err = Location::parse("ftp://host/x", &StoreOptions::default()).unwrap_err();
        assert!(err.to_string().contains("unknown scheme ftp://"), "{err}");
        assert!(err.to_string().contains("s3://"), "{err}");
    }

    #[test]
    fn a_local_folder_lists_in_byte_order_with_sizes() {
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in [
            ("b/2.md", "22"),
            ("a.md", "1"),
            ("B.md", "333"),
            ("b/10.md", ""),
            ("法广/纪录片, “可信”.md", "4444"),
        ] {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        }
        let url = format!("file://{}", dir.path().display());
        let location = Location::parse(&url, &StoreOptions::default()).unwrap();
        let listed: Vec<(String, u64)> = location
            .list()
            .unwrap()
            .into_iter()
            .map(|o| (o.key, o.size))
            .collect();
        assert_eq!(
            listed,
            [
                ("B.md".to_string(), 3),
                ("a.md".to_string(), 1),
                ("b/10.md".to_string(), 0),
                ("b/2.md".to_string(), 2),
                ("法广/纪录片, “可信”.md".to_string(), 4),
            ]
        );
        assert_eq!(&location.get("b/2.md").unwrap()[..], b"22");
        // A key as listed reads back, whatever its characters.
        assert_eq!(
            &location.get("法广/纪录片, “可信”.md").unwrap()[..],
            b"4444"
        );
        let missing = start_get(&location, "b/nope.md").wait().unwrap_err();
        assert!(missing.contains(&format!("{url}/b/nope.md")), "{missing}");
    }

    #[test]
    fn s3_locations_keep_the_prefix() {
        let options = StoreOptions {
            endpoint: Some("http://127.0.0.1:1".into()),
            allow_http: true,
            ..StoreOptions::default()
        };
        let location = Location::parse("s3://bucket/archive/2021", &options).unwrap();
        assert_eq!(location.prefix().as_ref(), "archive/2021");
        assert_eq!(location.child("a/b.md").as_ref(), "archive/2021/a/b.md");
        assert_eq!(
            location.join("articles").prefix().as_ref(),
            "archive/2021/articles"
        );
        assert_eq!(
            location.join("articles").url().as_str(),
            "s3://bucket/archive/2021/articles/"
        );
    }
}
