//! A guest component compiled once for this process: the wasmtime engine, the compiled
//! component pre-linked against an empty linker, and the sha256 of its bytes.

use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

use super::bindings::OrderDomainPre;
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
    /// The guest embedded in this binary.
    pub fn embedded() -> Result<GuestModule, GuestLoadError> {
        GuestModule::from_bytes(EMBEDDED_GUEST)
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

/// The names a component imports (empty for a guest the sandbox accepts).
pub fn imports_of(component_bytes: &[u8]) -> Result<Vec<String>, GuestLoadError> {
    let engine = sandbox_engine()?;
    let component = Component::new(&engine, component_bytes)
        .map_err(|e| GuestLoadError::Compile(format!("{e:#}")))?;
    Ok(import_names(&engine, &component))
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
