//! Built assets (`pkg/` and the public files) served from memory, gzip-compressed once at start.
//!
//! The JavaScript, WebAssembly and CSS bundles are reached under a versioned name
//! (`/pkg/<output>.<build id>.js`) whose build id is a hash of their contents, so browsers may
//! keep them forever (`immutable`); a new build changes the name. Everything else gets a short
//! cache lifetime and an ETag.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use flate2::write::GzEncoder;
use flate2::Compression;
use sha2::{Digest, Sha256};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const SHORT_LIVED: &str = "public, max-age=300, must-revalidate";
/// The lazily loaded parts of a split build: a browser asks each time whether they changed, so a
/// loader from before a deploy never looks for a main module that is gone.
const REVALIDATE: &str = "no-cache";
/// Files smaller than this are not worth compressing.
const MIN_COMPRESSED_SIZE: usize = 512;
/// The loader of the lazily loaded WebAssembly (`cargo leptos build --split`), under the name the
/// main module imports it by.
const SPLIT_LOADER: &str = "__wasm_split.______________________.js";

struct Asset {
    body: Vec<u8>,
    gzip: Option<Vec<u8>>,
    content_type: HeaderValue,
    etag: HeaderValue,
}

impl Asset {
    fn new(path: &str, body: Vec<u8>) -> std::io::Result<Self> {
        let content_type = mime_guess::from_path(path).first_or_octet_stream();
        let gzip =
            if is_compressible(content_type.essence_str()) && body.len() >= MIN_COMPRESSED_SIZE {
                Some(gzip(&body)?)
            } else {
                None
            };
        let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..8]));
        Ok(Self {
            body,
            gzip,
            content_type: HeaderValue::from_str(content_type.as_ref())
                .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
            etag: HeaderValue::from_str(&etag)
                .unwrap_or_else(|_| HeaderValue::from_static("\"0\"")),
        })
    }
}

/// Every file of the built site, held in memory.
pub struct Assets {
    files: HashMap<String, Asset>,
    pkg_prefix: String,
    output_name: String,
    build_id: String,
}

impl Assets {
    /// Reads every file under `site_root`. A missing folder gives an empty store (tests and
    /// server-only runs have no built front end).
    pub fn load(site_root: &Path, pkg_dir: &str, output_name: &str) -> std::io::Result<Self> {
        let mut contents = BTreeMap::new();
        if site_root.is_dir() {
            collect(site_root, site_root, &mut contents)?;
        }
        let pkg_prefix = format!("/{}/", pkg_dir.trim_matches('/'));
        // Every built file counts: a change in any lazily loaded part is a new build too.
        let mut bundle = Sha256::new();
        for (path, body) in contents
            .iter()
            .filter(|(path, _)| path.starts_with(&pkg_prefix))
        {
            bundle.update(path.as_bytes());
            bundle.update(body);
        }
        let build_id = hex::encode(&bundle.finalize()[..6]);
        // The split loader imports the main module by its plain name; the page loaded it under
        // the versioned one, and a module is one instance per URL.
        if let Some(loader) = contents.get_mut(&format!("{pkg_prefix}{SPLIT_LOADER}")) {
            let text = String::from_utf8_lossy(loader).replace(
                &format!("from \"./{output_name}.js\""),
                &format!("from \"./{output_name}.{build_id}.js\""),
            );
            *loader = text.into_bytes();
        }
        let files = contents
            .into_iter()
            .map(|(path, body)| Ok((path.clone(), Asset::new(&path, body)?)))
            .collect::<std::io::Result<_>>()?;
        Ok(Self {
            files,
            pkg_prefix,
            output_name: output_name.to_owned(),
            build_id,
        })
    }

    /// The bundle name to render into pages: `<output>.<build id>`.
    pub fn versioned_output_name(&self) -> String {
        format!("{}.{}", self.output_name, self.build_id)
    }

    /// How many files are held.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is held.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The response for `path`, or `None` when no such file exists.
    pub fn respond(&self, path: &str, request_headers: &HeaderMap) -> Option<Response> {
        let (asset, cache_control) = match self.unversioned(path) {
            Some(plain) => (self.files.get(&plain)?, IMMUTABLE),
            None if self.is_split_part(path) => (self.files.get(path)?, REVALIDATE),
            None => (self.files.get(path)?, SHORT_LIVED),
        };
        let mut response = Response::builder()
            .header(header::CONTENT_TYPE, asset.content_type.clone())
            .header(header::CACHE_CONTROL, cache_control)
            .header(header::ETAG, asset.etag.clone())
            .header(header::VARY, "accept-encoding");
        let not_modified = request_headers
            .get(header::IF_NONE_MATCH)
            .is_some_and(|tag| tag.as_bytes() == asset.etag.as_bytes());
        if not_modified {
            response = response.status(StatusCode::NOT_MODIFIED);
            return response.body(Body::empty()).ok();
        }
        let body = match &asset.gzip {
            Some(gzip) if accepts_gzip(request_headers) => {
                response = response.header(header::CONTENT_ENCODING, "gzip");
                gzip.clone()
            }
            _ => asset.body.clone(),
        };
        response.body(Body::from(body)).ok()
    }

    /// Maps `/pkg/<output>.<build id>.<ext>` (and the `_bg.wasm` spelling) to the stored name.
    fn unversioned(&self, path: &str) -> Option<String> {
        let rest = path.strip_prefix(&self.pkg_prefix)?;
        let rest = rest.strip_prefix(&self.output_name)?;
        let rest = rest.strip_prefix('.')?.strip_prefix(&self.build_id)?;
        let extension = rest.strip_prefix("_bg").unwrap_or(rest);
        Some(format!(
            "{}{}{extension}",
            self.pkg_prefix, self.output_name
        ))
    }

    /// Whether `path` is the split loader or one of the parts it loads (`split_*`, `chunk_*`).
    fn is_split_part(&self, path: &str) -> bool {
        path.strip_prefix(&self.pkg_prefix).is_some_and(|name| {
            name == SPLIT_LOADER || name.starts_with("split_") || name.starts_with("chunk_")
        })
    }
}

fn collect(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(root, &path, files)?;
            continue;
        }
        let Ok(relative) = path.strip_prefix(root) else {
            continue;
        };
        let url_path = format!("/{}", relative.to_string_lossy().replace('\\', "/"));
        files.insert(url_path, std::fs::read(&path)?);
    }
    Ok(())
}

fn is_compressible(mime: &str) -> bool {
    mime.starts_with("text/")
        || matches!(
            mime,
            "application/javascript" | "application/wasm" | "application/json" | "image/svg+xml"
        )
}

fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 3), Compression::default());
    encoder.write_all(body)?;
    encoder.finish()
}

/// Whether the client accepts gzip (and did not refuse it with `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused =
                parts.any(|p| p.replace(' ', "") == "q=0" || p.replace(' ', "") == "q=0.0");
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> (tempdir::Dir, Assets) {
        let dir = tempdir::Dir::new();
        std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
        std::fs::write(
            dir.path().join("pkg/app.js"),
            "console.log('hi');".repeat(100),
        )
        .unwrap();
        std::fs::write(dir.path().join("pkg/app.wasm"), [0u8, 97, 115, 109]).unwrap();
        std::fs::write(dir.path().join("favicon.ico"), [1u8, 2, 3]).unwrap();
        let assets = Assets::load(dir.path(), "pkg", "app").unwrap();
        (dir, assets)
    }

    /// A throwaway folder removed on drop.
    mod tempdir {
        pub struct Dir(std::path::PathBuf);
        impl Dir {
            pub fn new() -> Self {
                static NEXT: std::sync::atomic::AtomicUsize =
                    std::sync::atomic::AtomicUsize::new(0);
                let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let path =
                    std::env::temp_dir().join(format!("pc-assets-{}-{n}", std::process::id()));
                std::fs::create_dir_all(&path).unwrap();
                Self(path)
            }
            pub fn path(&self) -> &std::path::Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    fn gzip_request() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip"),
        );
        headers
    }

    #[test]
    fn versioned_bundles_are_immutable_and_compressed() {
        let (_dir, assets) = site();
        let path = format!("/pkg/{}.js", assets.versioned_output_name());
        let response = assets.respond(&path, &gzip_request()).expect("found");
        assert_eq!(response.headers()[header::CACHE_CONTROL], IMMUTABLE);
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "text/javascript");
    }

    #[test]
    fn the_wasm_bundle_is_found_under_either_spelling() {
        let (_dir, assets) = site();
        let name = assets.versioned_output_name();
        for path in [format!("/pkg/{name}.wasm"), format!("/pkg/{name}_bg.wasm")] {
            let response = assets.respond(&path, &HeaderMap::new()).expect("found");
            assert_eq!(response.headers()[header::CONTENT_TYPE], "application/wasm");
        }
    }

    #[test]
    fn a_stale_build_id_is_not_served_as_immutable() {
        let (_dir, assets) = site();
        assert!(assets
            .respond("/pkg/app.000000000000.js", &HeaderMap::new())
            .is_none());
    }

    #[test]
    fn plain_files_are_short_lived_and_revalidate_with_their_etag() {
        let (_dir, assets) = site();
        let first = assets
            .respond("/favicon.ico", &HeaderMap::new())
            .expect("found");
        assert_eq!(first.headers()[header::CACHE_CONTROL], SHORT_LIVED);
        let mut again = HeaderMap::new();
        again.insert(header::IF_NONE_MATCH, first.headers()[header::ETAG].clone());
        let second = assets.respond("/favicon.ico", &again).expect("found");
        assert_eq!(second.status(), StatusCode::NOT_MODIFIED);
    }

    #[test]
    fn the_split_loader_imports_the_main_module_the_page_loaded() {
        let dir = tempdir::Dir::new();
        std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
        std::fs::write(
            dir.path().join("pkg/app.js"),
            "export function initSync() {}",
        )
        .unwrap();
        let loader = format!(
            "import {{ initSync }} from \"./app.js\";\n{}",
            "// …\n".repeat(50)
        );
        std::fs::write(dir.path().join("pkg").join(SPLIT_LOADER), loader).unwrap();
        std::fs::write(
            dir.path().join("pkg/split_admin_1.wasm"),
            [0u8, 97, 115, 109],
        )
        .unwrap();
        let assets = Assets::load(dir.path(), "pkg", "app").unwrap();

        let response = assets
            .respond(&format!("/pkg/{SPLIT_LOADER}"), &HeaderMap::new())
            .expect("found");
        assert_eq!(response.headers()[header::CACHE_CONTROL], REVALIDATE);
        let body = &assets.files[&format!("/pkg/{SPLIT_LOADER}")].body;
        let text = String::from_utf8_lossy(body);
        let versioned = format!("from \"./{}.js\"", assets.versioned_output_name());
        assert!(text.contains(&versioned), "{text}");
        assert!(!text.contains("from \"./app.js\""));

        let part = assets
            .respond("/pkg/split_admin_1.wasm", &HeaderMap::new())
            .expect("found");
        assert_eq!(part.headers()[header::CACHE_CONTROL], REVALIDATE);
    }

    #[test]
    fn a_change_in_any_built_file_is_a_new_build() {
        let (dir, before) = site();
        std::fs::write(dir.path().join("pkg/chunk_0.wasm"), [0u8, 97, 115, 109]).unwrap();
        let after = Assets::load(dir.path(), "pkg", "app").unwrap();
        assert_ne!(
            before.versioned_output_name(),
            after.versioned_output_name()
        );
    }

    #[test]
    fn gzip_refused_with_q_zero_is_not_sent() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0, br"),
        );
        assert!(!accepts_gzip(&headers));
        assert!(accepts_gzip(&gzip_request()));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
