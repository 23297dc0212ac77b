//! The native library of Wassette for Java: the whole Wasmtime C API (re-exported from
//! `wasmtime-c-api-impl`) plus the few functions the stock C API lacks, declared in
//! `include/wassette.h`.
//!
//! Egress policy: every outgoing `wasi:http` request and every `wasi:sockets` address a guest
//! uses is decided by a check function the embedder installs (from Java, an FFM upcall).
//! Nothing is allowed until a check says so.

pub use wasmtime_c_api::*;

mod describe;
mod egress;
mod errors;
mod instance_pre;
mod limits;

use std::ffi::c_char;

/// Version string of this library: `<wassette-native version> wasmtime/<wasmtime version>`.
#[unsafe(no_mangle)]
pub extern "C" fn wassette_native_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), " wasmtime/", "50.0.1", "\0").as_ptr().cast()
}
