//! Egress hook: outbound `wasi:http` requests and `wasi:sockets` addresses go through a check
//! function supplied by the embedder.

use std::collections::HashMap;
use std::ffi::{c_char, c_void};
use std::sync::{Mutex, OnceLock};

use wasmtime::component::Linker;
use wasmtime_c_api::{WasmtimeStoreContextMut, WasmtimeStoreData, wasi_config_t, wasmtime_component_linker_t, wasmtime_error_t};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi_http::p2::bindings;
use wasmtime_wasi_http::{Error as HttpError, WasiBody, WasiHttp, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

/// Kinds of egress, as passed to the check function (see `wassette_egress_kind_t`).
pub const EGRESS_HTTP: u32 = 0;
pub const EGRESS_TCP_CONNECT: u32 = 1;
pub const EGRESS_TCP_BIND: u32 = 2;
pub const EGRESS_TCP_LISTEN: u32 = 3;
pub const EGRESS_TCP_ACCEPT: u32 = 4;
pub const EGRESS_UDP_BIND: u32 = 5;
pub const EGRESS_UDP_SEND: u32 = 6;
pub const EGRESS_UDP_RECEIVE: u32 = 7;

/// `bool check(void *env, uint32_t kind, const char *scheme, size_t scheme_len,
///             const char *host, size_t host_len, uint16_t port)`; true allows.
pub type EgressCheck =
    extern "C" fn(*mut c_void, u32, *const c_char, usize, *const c_char, usize, u16) -> bool;

#[derive(Clone, Copy)]
struct Check {
    func: EgressCheck,
    // The embedder's opaque value; carried as an integer so the check is Send + Sync.
    env: usize,
}

impl Check {
    fn allows(&self, kind: u32, scheme: &str, host: &str, port: u16) -> bool {
        (self.func)(
            self.env as *mut c_void,
            kind,
            scheme.as_ptr().cast(),
            scheme.len(),
            host.as_ptr().cast(),
            host.len(),
            port,
        )
    }
}

/// HTTP hooks of one store: the default sender, behind the store's check.
struct EgressHooks {
    check: Option<Check>,
}

impl WasiHttpHooks for EgressHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<wasmtime_wasi_http::RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<
        dyn Future<
                Output = wasmtime_wasi_http::Result<(
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                )>,
            > + Send,
    > {
        let uri = request.uri();
        let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
        let host = uri.host().unwrap_or("").trim_start_matches('[').trim_end_matches(']').to_string();
        let port = uri.port_u16().unwrap_or(if scheme == "http" { 80 } else { 443 });
        let allowed = !host.is_empty()
            && self.check.is_some_and(|c| c.allows(EGRESS_HTTP, &scheme, &host, port));
        if !allowed {
            drop(fut);
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        let mut default = DefaultSender;
        default.send_request(request, options, fut)
    }
}

/// Wasmtime's own sender (the trait's default `send_request`).
struct DefaultSender;
impl WasiHttpHooks for DefaultSender {}

/// Hooks of a store that has no check installed: every request is denied. Zero-sized, so
/// handing out a fresh `&'static mut` costs nothing.
struct DenyAll;
impl WasiHttpHooks for DenyAll {
    fn send_request(
        &mut self,
        _request: http::Request<WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<
        dyn Future<
                Output = wasmtime_wasi_http::Result<(
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                )>,
            > + Send,
    > {
        Box::new(async { Err(HttpError::HttpRequestDenied) })
    }
}

/// Per-store hooks, keyed by the address of the store's data (stable for the store's life).
fn registry() -> &'static Mutex<HashMap<usize, Box<EgressHooks>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<usize, Box<EgressHooks>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

fn store_key(data: &WasmtimeStoreData) -> usize {
    data as *const WasmtimeStoreData as usize
}

/// The view wasi-http uses for every call: the store's contexts with the store's hooks, or
/// hooks that deny everything when none were installed.
fn http_view(data: &mut WasmtimeStoreData) -> WasiHttpCtxView<'_> {
    let hooks: *mut EgressHooks = registry()
        .lock()
        .unwrap()
        .get_mut(&store_key(data))
        .map(|b| &mut **b as *mut EgressHooks)
        .unwrap_or(std::ptr::null_mut());
    let view = WasiHttpView::http(data);
    let hooks: &mut dyn WasiHttpHooks = if hooks.is_null() {
        Box::leak(Box::new(DenyAll))
    } else {
        // The box stays in the registry until the embedder clears it, which it does only
        // when no call is running on this store.
        unsafe { &mut *hooks }
    };
    WasiHttpCtxView { hooks, table: view.table, ctx: view.ctx }
}

/// Installs (or replaces) the HTTP egress check of a store.
#[unsafe(no_mangle)]
pub extern "C" fn wassette_context_set_http_egress_check(
    mut context: WasmtimeStoreContextMut<'_>,
    func: EgressCheck,
    env: *mut c_void,
) {
    let key = store_key(context.data_mut());
    let hooks = Box::new(EgressHooks { check: Some(Check { func, env: env as usize }) });
    registry().lock().unwrap().insert(key, hooks);
}

/// Removes the HTTP egress check of a store; call before deleting the store.
#[unsafe(no_mangle)]
pub extern "C" fn wassette_context_clear_http_egress_check(mut context: WasmtimeStoreContextMut<'_>) {
    let key = store_key(context.data_mut());
    registry().lock().unwrap().remove(&key);
}

/// Adds `wasi:http/outgoing-handler` and `wasi:http/types` to a linker, routed through the
/// per-store egress hooks. Use instead of `wasmtime_component_linker_add_wasi_http`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wassette_component_linker_add_wasi_http(
    linker: &mut wasmtime_component_linker_t,
) -> Option<Box<wasmtime_error_t>> {
    // `wasmtime_component_linker_t` is `#[repr(transparent)]` over this linker type.
    let linker = unsafe { &mut *(linker as *mut wasmtime_component_linker_t as *mut Linker<WasmtimeStoreData>) };
    let options = bindings::LinkOptions::default();
    let result = bindings::sync::http::outgoing_handler::add_to_linker::<_, WasiHttp>(linker, http_view)
        .and_then(|()| bindings::sync::http::types::add_to_linker::<_, WasiHttp>(linker, &options.into(), http_view));
    match result {
        Ok(()) => None,
        Err(e) => Some(Box::new(wasmtime_error_t::from(e))),
    }
}

/// Routes every socket address a guest binds, connects or sends to through `func`; nothing
/// else reaches the network. Also enables TCP and UDP, which stay subject to the check.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wassette_wasi_config_set_socket_check(
    config: &mut wasi_config_t,
    func: EgressCheck,
    env: *mut c_void,
) {
    // `wasi_config_t` is `#[repr(C)]` with the builder as its only field.
    let builder = unsafe { &mut *(config as *mut wasi_config_t as *mut WasiCtxBuilder) };
    let check = Check { func, env: env as usize };
    builder.allow_tcp(true).allow_udp(true).socket_addr_check(move |addr, usage| {
        let kind = match usage {
            SocketAddrUse::TcpBind => EGRESS_TCP_BIND,
            SocketAddrUse::TcpListen => EGRESS_TCP_LISTEN,
            SocketAddrUse::TcpAccept => EGRESS_TCP_ACCEPT,
            SocketAddrUse::TcpConnect => EGRESS_TCP_CONNECT,
            SocketAddrUse::UdpBind => EGRESS_UDP_BIND,
            SocketAddrUse::UdpSend => EGRESS_UDP_SEND,
            SocketAddrUse::UdpReceive => EGRESS_UDP_RECEIVE,
        };
        let allowed = check.allows(kind, "", &addr.ip().to_string(), addr.port());
        Box::pin(async move { allowed })
    });
}
