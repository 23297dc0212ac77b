//! Telling apart why a guest call failed by the error's type, not its message: Wasmtime's trap
//! code (the stock C API reads it only from a `wasm_trap_t`, which component calls do not return),
//! and the errors the embedder makes itself when it stops a call (a host function that failed, a
//! deadline, a cancellation).

use std::ffi::{CStr, c_char};
use std::fmt;

use wasmtime::{Error, Trap};
use wasmtime_c_api::wasmtime_error_t;

/// The kind of an error not made by `wassette_error_new`. The kinds themselves are the embedder's
/// (`wassette_error_kind_t`): this library only carries them.
const ERROR_NONE: u32 = 0;

/// An error the embedder made to stop a call, carrying why.
#[derive(Debug)]
struct HostStop {
    kind: u32,
    message: String,
}

impl fmt::Display for HostStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HostStop {}

/// The error inside the C API's wrapper: `wasmtime_error_t` is `#[repr(C)]` with it as its only field.
fn error(raw: &wasmtime_error_t) -> &Error {
    unsafe { &*(raw as *const wasmtime_error_t as *const Error) }
}

/// Writes the trap code (`wasmtime_trap_code_t`) when the error is, or was caused by, a Wasmtime trap.
#[unsafe(no_mangle)]
pub extern "C" fn wassette_error_trap_code(raw: &wasmtime_error_t, code: &mut u8) -> bool {
    match error(raw).downcast_ref::<Trap>() {
        Some(trap) => {
            *code = *trap as u8;
            true
        }
        None => false,
    }
}

/// A new error of the given kind with a NUL-terminated UTF-8 message (lossily decoded).
#[unsafe(no_mangle)]
pub extern "C" fn wassette_error_new(kind: u32, message: *const c_char) -> Box<wasmtime_error_t> {
    let message = unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned();
    Box::new(wasmtime_error_t::from(Error::new(HostStop { kind, message })))
}

/// The kind of an error made by `wassette_error_new`, wherever in its chain of causes; else 0.
#[unsafe(no_mangle)]
pub extern "C" fn wassette_error_kind(raw: &wasmtime_error_t) -> u32 {
    error(raw).downcast_ref::<HostStop>().map_or(ERROR_NONE, |stop| stop.kind)
}
