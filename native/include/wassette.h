/*
 * Extensions to the Wasmtime C API built into libwassette_wasmtime (native/src/*.rs): the egress
 * hook for outbound HTTP and socket policy, component pre-instantiation, and error classification,
 * none of which the stock C API offers.
 */
#ifndef WASSETTE_H
#define WASSETTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wasi.h>
#include <wasmtime.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a guest is about to do with the network (the `kind` passed to a check). */
typedef enum wassette_egress_kind {
  WASSETTE_EGRESS_HTTP = 0,        /* outgoing wasi:http request: scheme, host, port */
  WASSETTE_EGRESS_TCP_CONNECT = 1, /* the rest: IP address and port; scheme empty */
  WASSETTE_EGRESS_TCP_BIND = 2,
  WASSETTE_EGRESS_TCP_LISTEN = 3,
  WASSETTE_EGRESS_TCP_ACCEPT = 4,
  WASSETTE_EGRESS_UDP_BIND = 5,
  WASSETTE_EGRESS_UDP_SEND = 6,    /* a datagram to a remote address */
  WASSETTE_EGRESS_UDP_RECEIVE = 7, /* a datagram from a remote address */
} wassette_egress_kind_t;

/*
 * Decides one egress attempt; returns true to allow it. Strings are UTF-8, not
 * NUL-terminated. May be called on a thread other than the one calling into wasm.
 *
 * HTTP: for a host name, first with an empty address (may this name be looked up at all?),
 * then once per address it resolves to (resolved once, by the host) with the candidate IP;
 * the request connects only to an address that was allowed. For an IP-literal host, once with
 * that address. Sockets: host and address are the same IP.
 */
typedef bool (*wassette_egress_check_t)(void *env, uint32_t kind, const char *scheme,
                                        size_t scheme_len, const char *host,
                                        size_t host_len, const char *address,
                                        size_t address_len, uint16_t port);

/* "<library version> wasmtime/<wasmtime version>", static storage. */
const char *wassette_native_version(void);

/*
 * Adds wasi:http (outgoing-handler, types) to a component linker, with every outgoing
 * request decided by the store's HTTP egress check. A store without a check denies every
 * request with `HTTP-request-denied`.
 */
wasmtime_error_t *wassette_component_linker_add_wasi_http(wasmtime_component_linker_t *linker);

/* Installs or replaces the HTTP egress check of a store. */
void wassette_context_set_http_egress_check(wasmtime_context_t *context,
                                            wassette_egress_check_t check, void *env);

/*
 * Caps the bytes the store's outgoing HTTP requests may send, summed over the store's life:
 * each request line and its headers (as HTTP/1.1 frames them, before the client library adds
 * framing headers) and its body. A request whose head goes over the cap is refused before it
 * connects; a body that goes over it ends in an error. Either way the guest sees
 * `HTTP-request-denied`. Negative removes the cap. Call after
 * wassette_context_set_http_egress_check.
 */
void wassette_context_set_http_egress_byte_limit(wasmtime_context_t *context, int64_t limit);

/*
 * Bytes the store's outgoing HTTP requests have sent so far; *limit_reached (may be NULL) tells
 * whether the cap refused any.
 */
uint64_t wassette_context_http_egress_bytes(wasmtime_context_t *context, bool *limit_reached);

/* Removes the store's HTTP egress check; call before wasmtime_store_delete. */
void wassette_context_clear_http_egress_check(wasmtime_context_t *context);

/*
 * Enables wasi:sockets TCP and UDP for the WASI config with every address a guest binds,
 * connects or sends to decided by `check`. Without this call no socket use is allowed.
 * (Name lookup stays off unless wasi_config_allow_ip_name_lookup enables it.)
 */
void wassette_wasi_config_set_socket_check(wasi_config_t *config, wassette_egress_check_t check,
                                           void *env);

/*
 * wasmtime_store_limiter with the same limits (negative: none), which also keeps in
 * *peak_memory_bytes (may be NULL) the linear memory the store holds, summed over its memories;
 * memories never shrink, so it is the peak. The cell must outlive the store; it is written on
 * the thread running the store's wasm.
 */
void wassette_store_limiter(wasmtime_store_t *store, int64_t memory_size, int64_t table_elements,
                            int64_t instances, int64_t tables, int64_t memories,
                            uint64_t *peak_memory_bytes);

/*
 * Pre-instantiation of components: imports are resolved and type-checked once, so each
 * instantiation afterwards is cheap. The linker and component may be deleted afterwards.
 */
typedef struct wassette_component_instance_pre wassette_component_instance_pre_t;

wasmtime_error_t *wassette_component_instance_pre_new(const wasmtime_component_linker_t *linker,
                                                      const wasmtime_component_t *component,
                                                      wassette_component_instance_pre_t **out);

wasmtime_error_t *wassette_component_instance_pre_instantiate(
    const wassette_component_instance_pre_t *pre, wasmtime_context_t *context,
    wasmtime_component_instance_t *instance_out);

void wassette_component_instance_pre_delete(wassette_component_instance_pre_t *pre);

/*
 * A component's imports and exported functions with their WIT types, in one call
 * (native/src/describe.rs): walking them through the C API's type functions takes a call per
 * node, and an FFM embedder links a stub for each distinct signature on first use.
 *
 * `out` receives a new byte vector (free it with wasm_byte_vec_delete). Little-endian; a count
 * or a string's length is a u32, a string is UTF-8 after its length, an optional is a u8 (0/1)
 * before its value:
 *   u8 format (1)
 *   u32 imports, each: string name, u8 item kind (WASMTIME_COMPONENT_ITEM_*),
 *                      u8 1 if it is an instance exporting only types, else 0
 *   u32 functions (at world level, and one level down in exported instances), each:
 *                      optional string interface, string name,
 *                      u32 params, each: string name, type;  optional type result
 *   type: u8 WASMTIME_COMPONENT_VALTYPE_* code, then by kind:
 *     list, option: type          record: u32 fields, each: string name, type
 *     tuple: u32 types, each type  variant: u32 cases, each: string name, optional type
 *     enum, flags: u32 names, each string   result: optional type ok, optional type err
 *     map: type key, type value     0xff: a kind without a code here, then string its name
 *     the rest: nothing
 */
void wassette_component_describe(const wasmtime_component_t *component, wasm_byte_vec_t *out);

/*
 * Why a guest call failed, by the error's type (native/src/errors.rs). Component calls return a
 * wasmtime_error_t, not a wasm_trap_t, so wasmtime_trap_code cannot read their trap code.
 */

/* Writes the wasmtime_trap_code_t of an error that is, or was caused by, a trap; else false. */
bool wassette_error_trap_code(const wasmtime_error_t *error, uint8_t *code);

/* Errors the embedder makes to stop a call, told apart from traps and from each other. */
typedef enum wassette_error_kind {
  WASSETTE_ERROR_NONE = 0,          /* not made by wassette_error_new */
  WASSETTE_ERROR_HOST_FUNCTION = 1, /* a host function (implemented by the embedder) failed */
  WASSETTE_ERROR_DEADLINE = 2,      /* the call's wall-clock deadline passed */
  WASSETTE_ERROR_CANCELLED = 3,     /* the caller cancelled the call */
} wassette_error_kind_t;

/* A new error of `kind` with a NUL-terminated UTF-8 message; owned by the caller (or Wasmtime). */
wasmtime_error_t *wassette_error_new(uint32_t kind, const char *message);

/* The kind of an error made by wassette_error_new, anywhere in its chain of causes; else NONE. */
uint32_t wassette_error_kind(const wasmtime_error_t *error);

#ifdef __cplusplus
}
#endif

#endif /* WASSETTE_H */
