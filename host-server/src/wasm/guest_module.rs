//! A guest component compiled once for this process: the wasmtime engine, the compiled
//! component pre-linked against an empty linker, and the sha256 of its bytes.

use std::path::Path;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

use super::bindings::{OrderDomainPre, DECIDER_INTERFACE};
use super::sandbox::SandboxState;

/// The component built from host-server/guest by build.rs.
pub static EMBEDDED_GUEST: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/order_guest.component.wasm"));

/// Why a guest could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum GuestLoadError {
    #[error("cannot read guest file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("not a valid WebAssembly component: {0}")]
    Compile(String),
    #[error(
        "the guest imports {0:?}, but the sandbox provides nothing: a guest must import nothing"
    )]
    HasImports(Vec<String>),
    #[error("the guest does not export the order:domain decider: {0}")]
    WrongWorld(String),
    #[error(
        "the guest was built against {found}, but this server speaks {expected}: \
         rebuild the guest against this server's WIT (host-server/wit)"
    )]
    InterfaceVersion { found: String, expected: String },
}

/// A compiled guest, cheap to clone (shared by every [`super::WasmRuntime`] built from it).
#[derive(Clone)]
pub struct GuestModule {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    pre: OrderDomainPre<SandboxState>,
    hash: String,
}

impl GuestModule {
    /// The guest embedded in this binary, compiled once per process (compiling is the
    /// expensive step; every later call shares the result).
    pub fn embedded() -> Result<GuestModule, GuestLoadError> {
        // A mutex, not a OnceLock: concurrent first callers wait for one compilation.
        static COMPILED: Mutex<Option<GuestModule>> = Mutex::new(None);
        let mut compiled = COMPILED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(module) = compiled.as_ref() {
            return Ok(module.clone());
        }
        let module = GuestModule::from_bytes(EMBEDDED_GUEST)?;
        *compiled = Some(module.clone());
        Ok(module)
    }

    /// A guest from a `.wasm` component file (`serve --guest file.wasm`).
    pub fn from_file(path: &Path) -> Result<GuestModule, GuestLoadError> {
        let bytes = std::fs::read(path).map_err(|source| GuestLoadError::Read {
            path: path.display().to_string(),
            source,
        })?;
        GuestModule::from_bytes(&bytes)
    }

    /// Compiles a component, refusing one that imports anything or exports the wrong world.
    pub fn from_bytes(bytes: &[u8]) -> Result<GuestModule, GuestLoadError> {
        let engine = sandbox_engine()?;
        let component = Component::new(&engine, bytes)
            .map_err(|e| GuestLoadError::Compile(format!("{e:#}")))?;
        let imports = import_names(&engine, &component);
        if !imports.is_empty() {
            return Err(GuestLoadError::HasImports(imports));
        }
        check_interface_version(&engine, &component)?;
        // Nothing is linked: the guest has no way to reach the host.
        let linker = Linker::<SandboxState>::new(&engine);
        let pre = linker
            .instantiate_pre(&component)
            .and_then(OrderDomainPre::new)
            .map_err(|e| GuestLoadError::WrongWorld(format!("{e:#}")))?;
        Ok(GuestModule {
            inner: Arc::new(Inner {
                engine,
                pre,
                hash: sha256_hex(bytes),
            }),
        })
    }

    /// The sha256 of the component's bytes, lowercase hex; recorded in every event's metadata.
    pub fn hash(&self) -> &str {
        &self.inner.hash
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    pub(crate) fn pre(&self) -> &OrderDomainPre<SandboxState> {
        &self.inner.pre
    }
}

impl std::fmt::Debug for GuestModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestModule")
            .field("hash", &self.inner.hash)
            .finish_non_exhaustive()
    }
}

/// The names a component imports at its top level (empty for a guest the sandbox accepts),
/// read from the binary without compiling it. Nested core modules can only import what the
/// component itself provides or imports, so the top level is the whole of its reach.
pub fn imports_of(component_bytes: &[u8]) -> Result<Vec<String>, GuestLoadError> {
    let invalid = |e: wasmparser::BinaryReaderError| GuestLoadError::Compile(e.to_string());
    let mut names = Vec::new();
    // Every module or component, the outer one included, opens with a Version payload and
    // closes with End; depth 1 is the outer component.
    let mut depth = 0usize;
    for payload in wasmparser::Parser::new(0).parse_all(component_bytes) {
        match payload.map_err(invalid)? {
            wasmparser::Payload::Version { encoding, .. } => {
                if depth == 0 && encoding != wasmparser::Encoding::Component {
                    return Err(GuestLoadError::Compile(
                        "a core module, not a component".into(),
                    ));
                }
                depth += 1;
            }
            wasmparser::Payload::End(_) => depth = depth.saturating_sub(1),
            wasmparser::Payload::ComponentImportSection(imports) if depth == 1 => {
                for import in imports {
                    names.push(import.map_err(invalid)?.name.name.to_string());
                }
            }
            _ => {}
        }
    }
    Ok(names)
}

/// Refuses a guest that exports the decider at another version of the interface by name,
/// rather than with the linker's "no such export".
fn check_interface_version(engine: &Engine, component: &Component) -> Result<(), GuestLoadError> {
    let (unversioned, _) = DECIDER_INTERFACE
        .split_once('@')
        .expect("the interface name carries its version");
    let exported: Vec<String> = component
        .component_type()
        .exports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    if exported.iter().any(|name| name == DECIDER_INTERFACE) {
        return Ok(());
    }
    match exported
        .into_iter()
        .find(|name| name.split('@').next() == Some(unversioned))
    {
        Some(found) => Err(GuestLoadError::InterfaceVersion {
            found,
            expected: DECIDER_INTERFACE.to_string(),
        }),
        // Not a decider at all: the linker names what is missing.
        None => Ok(()),
    }
}

fn import_names(engine: &Engine, component: &Component) -> Vec<String> {
    component
        .component_type()
        .imports(engine)
        .map(|(name, _)| name.to_string())
        .collect()
}

/// Fuel metering on; everything else at wasmtime's defaults (cranelift, component model).
fn sandbox_engine() -> Result<Engine, GuestLoadError> {
    let mut config = Config::new();
    config.consume_fuel(true);
    Engine::new(&config).map_err(|e| GuestLoadError::Compile(format!("{e:#}")))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
