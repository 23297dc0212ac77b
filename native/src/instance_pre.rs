//! Pre-instantiation for components, which the stock C API offers only for core modules:
//! type-checks and resolves a component's imports once, so each later instantiation is cheap.

use wasmtime::component::{Component, Instance, InstancePre, Linker};
use wasmtime_c_api::{
    WasmtimeStoreContextMut, WasmtimeStoreData, wasmtime_component_linker_t, wasmtime_component_t,
    wasmtime_error_t,
};

#[allow(non_camel_case_types)] // named as in include/wassette.h
pub struct wassette_component_instance_pre_t {
    pre: InstancePre<WasmtimeStoreData>,
}

/// Resolves `component`'s imports against `linker`; on success stores an owned handle in `out`.
#[unsafe(no_mangle)]
pub extern "C" fn wassette_component_instance_pre_new(
    linker: &wasmtime_component_linker_t,
    component: &wasmtime_component_t,
    out: &mut *mut wassette_component_instance_pre_t,
) -> Option<Box<wasmtime_error_t>> {
    // Both C types are `#[repr(transparent)]` over these Rust types.
    let linker = unsafe { &*(linker as *const wasmtime_component_linker_t as *const Linker<WasmtimeStoreData>) };
    let component = unsafe { &*(component as *const wasmtime_component_t as *const Component) };
    match linker.instantiate_pre(component) {
        Ok(pre) => {
            *out = Box::into_raw(Box::new(wassette_component_instance_pre_t { pre }));
            None
        }
        Err(e) => Some(Box::new(wasmtime_error_t::from(e))),
    }
}

/// Instantiates the pre-resolved component in a store.
#[unsafe(no_mangle)]
pub extern "C" fn wassette_component_instance_pre_instantiate(
    pre: &wassette_component_instance_pre_t,
    context: WasmtimeStoreContextMut<'_>,
    instance_out: &mut Instance,
) -> Option<Box<wasmtime_error_t>> {
    match pre.pre.instantiate(context) {
        Ok(instance) => {
            *instance_out = instance;
            None
        }
        Err(e) => Some(Box::new(wasmtime_error_t::from(e))),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wassette_component_instance_pre_delete(_pre: Box<wassette_component_instance_pre_t>) {}
