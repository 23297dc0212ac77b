/* Umbrella header for jextract: everything the Java bindings (dev.wassette.ffi) cover. */
#include <wasm.h>
#include <wasi.h>
#include <wasmtime.h>
#include <wassette.h>
