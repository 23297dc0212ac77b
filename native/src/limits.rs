//! Store limits that also report what the store used. The C API's `wasmtime_store_limiter` sets
//! the same limits but offers no way to read back how much linear memory a store came to hold,
//! which the embedder reports per call (a store serves one call).

use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
use wasmtime_c_api::{WasmtimeStore, wasmtime_store_t};

/// Delegates every decision to Wasmtime's own `StoreLimits` and keeps a running total of the
/// bytes of linear memory granted (memories never shrink, so the total is also the peak).
struct MeasuringLimiter {
    limits: StoreLimits,
    memory_bytes: usize,
    /// Growth granted by the last `memory_growing`, taken back if the growth then failed.
    last_growth: usize,
    /// The embedder's cell, updated with `memory_bytes`; may be null.
    peak_out: *mut u64,
}

// The limiter is only used by the thread running the store; the pointer is the embedder's cell
// that outlives the store (see wassette.h).
unsafe impl Send for MeasuringLimiter {}
unsafe impl Sync for MeasuringLimiter {}

impl MeasuringLimiter {
    fn publish(&self) {
        if !self.peak_out.is_null() {
            unsafe { *self.peak_out = self.memory_bytes as u64 };
        }
    }
}

impl ResourceLimiter for MeasuringLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        // Creating a memory counts too: Wasmtime asks with `current` 0 for its initial size.
        self.last_growth = if allowed { desired.saturating_sub(current) } else { 0 };
        self.memory_bytes += self.last_growth;
        self.publish();
        Ok(allowed)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.memory_bytes -= std::mem::take(&mut self.last_growth);
        self.publish();
        self.limits.memory_grow_failed(error)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// `wasmtime_store_limiter` with the same arguments (negative: no limit), plus the cell in which
/// the total linear memory the store holds is kept up to date.
#[unsafe(no_mangle)]
pub extern "C" fn wassette_store_limiter(
    store: &mut wasmtime_store_t,
    memory_size: i64,
    table_elements: i64,
    instances: i64,
    tables: i64,
    memories: i64,
    peak_memory_bytes: *mut u64,
) {
    let mut builder = StoreLimitsBuilder::new();
    if memory_size >= 0 {
        builder = builder.memory_size(memory_size as usize);
    }
    if table_elements >= 0 {
        builder = builder.table_elements(table_elements as usize);
    }
    if instances >= 0 {
        builder = builder.instances(instances as usize);
    }
    if tables >= 0 {
        builder = builder.tables(tables as usize);
    }
    if memories >= 0 {
        builder = builder.memories(memories as usize);
    }
    let limiter = Box::into_raw(Box::new(MeasuringLimiter {
        limits: builder.build(),
        memory_bytes: 0,
        last_growth: 0,
        peak_out: peak_memory_bytes,
    }));
    // `wasmtime_store_t` is `#[repr(C)]` with the store as its only field.
    let store = unsafe { &mut *(store as *mut wasmtime_store_t as *mut WasmtimeStore) };
    // The closure owns the limiter: it is freed with the store.
    let owner = LimiterBox(limiter);
    store.limiter(move |_| owner.get());
}

struct LimiterBox(*mut MeasuringLimiter);
unsafe impl Send for LimiterBox {}
unsafe impl Sync for LimiterBox {}

impl LimiterBox {
    fn get(&self) -> &'static mut dyn ResourceLimiter {
        // Called by the store only while it lives, one call at a time; the box lives as long.
        unsafe { &mut *self.0 }
    }
}

impl Drop for LimiterBox {
    fn drop(&mut self) {
        drop(unsafe { Box::from_raw(self.0) });
    }
}
