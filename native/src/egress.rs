//! Egress hook: outbound `wasi:http` requests and `wasi:sockets` addresses go through a check
//! function supplied by the embedder.
//!
//! HTTP requests are resolved here, once: the name is checked first (with no address), then every
//! address it resolves to is checked with the name, so host rules and CIDR rules both apply, and
//! the connection goes to an address that passed. A DNS answer that changes between check and
//! connect (DNS rebinding) therefore cannot reach an address the policy denies, and names no rule
//! could allow are never looked up.

use std::collections::HashMap;
use std::ffi::{c_char, c_void};
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

use http_body_util::BodyExt;
use wasmtime::component::Linker;
use wasmtime_c_api::{WasmtimeStoreContextMut, WasmtimeStoreData, wasi_config_t, wasmtime_component_linker_t, wasmtime_error_t};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttp, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

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
///             const char *host, size_t host_len, const char *address, size_t address_len,
///             uint16_t port)`; true allows.
pub type EgressCheck = extern "C" fn(
    *mut c_void,
    u32,
    *const c_char,
    usize,
    *const c_char,
    usize,
    *const c_char,
    usize,
    u16,
) -> bool;

#[derive(Clone, Copy)]
struct Check {
    func: EgressCheck,
    // The embedder's opaque value; carried as an integer so the check is Send + Sync.
    env: usize,
}

impl Check {
    fn allows(&self, kind: u32, scheme: &str, host: &str, address: &str, port: u16) -> bool {
        (self.func)(
            self.env as *mut c_void,
            kind,
            scheme.as_ptr().cast(),
            scheme.len(),
            host.as_ptr().cast(),
            host.len(),
            address.as_ptr().cast(),
            address.len(),
            port,
        )
    }
}

type ResponseFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = Result<(), HttpError>> + Send>,
            )>,
        > + Send,
>;

/// Bytes a store's outgoing HTTP requests may send: request line, headers and body, summed
/// over every request of the store (one call).
struct ByteBudget {
    limit: AtomicU64,
    sent: AtomicU64,
    limit_reached: AtomicBool,
}

impl ByteBudget {
    fn unlimited() -> Self {
        ByteBudget { limit: AtomicU64::new(u64::MAX), sent: AtomicU64::new(0), limit_reached: AtomicBool::new(false) }
    }

    /// Counts `bytes` as sent; false (and remembered) when that goes over the limit.
    fn charge(&self, bytes: usize) -> bool {
        let sent = self.sent.fetch_add(bytes as u64, Ordering::Relaxed).saturating_add(bytes as u64);
        if sent > self.limit.load(Ordering::Relaxed) {
            self.limit_reached.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }
}

/// A request body that charges each data frame to the budget and fails once it is spent, so
/// the guest's stream ends in an error instead of sending more.
struct BudgetedBody {
    inner: WasiBody,
    budget: Arc<ByteBudget>,
}

impl Body for BudgetedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let size = frame.data_ref().map_or(0, |d| d.len());
                if this.budget.charge(size) {
                    Poll::Ready(Some(Ok(frame)))
                } else {
                    Poll::Ready(Some(Err(HttpError::HttpRequestDenied)))
                }
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Size of a request's line and headers as HTTP/1.1 frames them (without what the client
/// library adds, such as `content-length`).
fn head_size(request: &http::Request<WasiBody>, target: &str) -> usize {
    let line = request.method().as_str().len() + 1 + target.len() + " HTTP/1.1\r\n".len();
    let headers: usize = request.headers().iter().map(|(name, value)| name.as_str().len() + 2 + value.len() + 2).sum();
    line + headers + 2
}

/// HTTP hooks of one store: requests go through its check; a store without one denies all.
struct EgressHooks {
    check: Option<Check>,
    budget: Arc<ByteBudget>,
}

impl WasiHttpHooks for EgressHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> ResponseFuture {
        drop(fut);
        let check = self.check;
        let budget = self.budget.clone();
        Box::new(async move {
            let check = check.ok_or(HttpError::HttpRequestDenied)?;
            send_checked(check, budget, request, options).await
        })
    }
}

/// Resolves, checks every candidate address, connects to one that passed, then speaks HTTP/1.1
/// (over TLS for https) to it.
async fn send_checked(
    check: Check,
    budget: Arc<ByteBudget>,
    request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> wasmtime_wasi_http::Result<(http::Response<WasiBody>, Box<dyn Future<Output = Result<(), HttpError>> + Send>)> {
    let uri = request.uri().clone();
    let https = uri.scheme_str().is_some_and(|s| s.eq_ignore_ascii_case("https"));
    let scheme = if https { "https" } else { "http" };
    let host = uri.host().ok_or(HttpError::HttpRequestUriInvalid)?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let connect_timeout = options.and_then(|o| o.connect_timeout).unwrap_or(Duration::from_secs(30));
    let first_byte_timeout = options.and_then(|o| o.first_byte_timeout).unwrap_or(Duration::from_secs(600));

    let candidates: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        // Ask about the name before resolving it: a DNS query for a name no rule can allow would
        // itself carry data out (DNS exfiltration).
        Err(_) if !check.allows(EGRESS_HTTP, scheme, &host, "", port) => return Err(HttpError::HttpRequestDenied),
        Err(_) => match tokio::time::timeout(connect_timeout, tokio::net::lookup_host((host.as_str(), port))).await {
            Ok(Ok(addrs)) => addrs.collect(),
            Ok(Err(_)) => return Err(HttpError::DnsError { rcode: None, info_code: None }),
            Err(_) => return Err(HttpError::DnsTimeout),
        },
    };
    let allowed: Vec<SocketAddr> = candidates
        .into_iter()
        .filter(|a| check.allows(EGRESS_HTTP, scheme, &host, &a.ip().to_string(), port))
        .collect();
    if allowed.is_empty() {
        return Err(HttpError::HttpRequestDenied);
    }
    // The head is charged before connecting: a request the budget cannot carry opens nothing.
    let target = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    if !budget.charge(head_size(&request, target)) {
        return Err(HttpError::HttpRequestDenied);
    }

    let mut last_error = None;
    let mut stream = None;
    for addr in allowed {
        match tokio::time::timeout(connect_timeout, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                stream = Some(s);
                break;
            }
            Ok(Err(e)) => last_error = Some(HttpError::Connect(e)),
            Err(_) => last_error = Some(HttpError::ConnectionTimeout),
        }
    }
    let tcp = stream.ok_or_else(|| last_error.unwrap_or(HttpError::ConnectionRefused))?;
    let mut request = request.map(|inner| BudgetedBody { inner, budget });

    // Origin-form target: the Host header (set by wasi-http) names the host.
    *request.uri_mut() = http::Uri::try_from(target).map_err(|_| HttpError::HttpRequestUriInvalid)?;

    if https {
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.into() };
        let config = rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(host.clone()).map_err(|_| HttpError::TlsCertificateError)?;
        let tls = tokio::time::timeout(connect_timeout, tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp))
            .await
            .map_err(|_| HttpError::ConnectionTimeout)?
            .map_err(HttpError::Tls)?;
        exchange(TokioIo::new(tls), request, connect_timeout, first_byte_timeout).await
    } else {
        exchange(TokioIo::new(tcp), request, connect_timeout, first_byte_timeout).await
    }
}

async fn exchange<IO>(
    io: IO,
    request: http::Request<BudgetedBody>,
    connect_timeout: Duration,
    first_byte_timeout: Duration,
) -> wasmtime_wasi_http::Result<(http::Response<WasiBody>, Box<dyn Future<Output = Result<(), HttpError>> + Send>)>
where
    IO: hyper::rt::Read + hyper::rt::Write + Send + Unpin + 'static,
{
    let (mut sender, connection) = tokio::time::timeout(connect_timeout, hyper::client::conn::http1::handshake(io))
        .await
        .map_err(|_| HttpError::ConnectionTimeout)?
        .map_err(HttpError::from)?;
    // hyper needs the connection polled while the request is in flight: run it as a task, and
    // hand wasi-http a future that ends with it (dropping that future aborts the task).
    let driver = wasmtime_wasi::runtime::spawn(async move { connection.await.map_err(HttpError::from) });
    let response = tokio::time::timeout(first_byte_timeout, sender.send_request(request))
        .await
        .map_err(|_| HttpError::ConnectionReadTimeout)?
        .map_err(HttpError::from)?;
    let response = response.map(|body| body.map_err(HttpError::from).boxed_unsync());
    Ok((response, Box::new(driver)))
}

/// Per-store hooks, keyed by the address of the store's data (stable for the store's life).
fn registry() -> &'static Mutex<HashMap<usize, Box<EgressHooks>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<usize, Box<EgressHooks>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

fn store_key(data: &WasmtimeStoreData) -> usize {
    data as *const WasmtimeStoreData as usize
}

/// Hooks of a store that has no check installed: every request is denied. Zero-sized, so
/// handing out a fresh `&'static mut` costs nothing.
struct DenyAll;
impl WasiHttpHooks for DenyAll {
    fn send_request(
        &mut self,
        _request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> ResponseFuture {
        Box::new(async { Err(HttpError::HttpRequestDenied) })
    }
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
    let hooks = Box::new(EgressHooks { check: Some(Check { func, env: env as usize }), budget: Arc::new(ByteBudget::unlimited()) });
    registry().lock().unwrap().insert(key, hooks);
}

/// Caps the bytes the store's outgoing HTTP requests may send; negative removes the cap. Needs
/// the check installed first (without one nothing is sent anyway).
#[unsafe(no_mangle)]
pub extern "C" fn wassette_context_set_http_egress_byte_limit(mut context: WasmtimeStoreContextMut<'_>, limit: i64) {
    let key = store_key(context.data_mut());
    if let Some(hooks) = registry().lock().unwrap().get(&key) {
        hooks.budget.limit.store(if limit < 0 { u64::MAX } else { limit as u64 }, Ordering::Relaxed);
    }
}

/// Bytes the store's outgoing HTTP requests have sent, and whether one was refused by the cap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wassette_context_http_egress_bytes(
    mut context: WasmtimeStoreContextMut<'_>,
    limit_reached: *mut bool,
) -> u64 {
    let key = store_key(context.data_mut());
    let registry = registry().lock().unwrap();
    let (sent, reached) = registry
        .get(&key)
        .map_or((0, false), |h| (h.budget.sent.load(Ordering::Relaxed), h.budget.limit_reached.load(Ordering::Relaxed)));
    if !limit_reached.is_null() {
        unsafe { *limit_reached = reached };
    }
    sent
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
        let ip = addr.ip().to_string();
        let allowed = check.allows(kind, "", &ip, &ip, addr.port());
        Box::pin(async move { allowed })
    });
}
