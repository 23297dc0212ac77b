/* Shared by the compute kernels: freestanding (no libc, no imports), fixed-width types, the
 * seeded generator every kernel draws its input from, and the memset/memcpy that clang may emit
 * calls to. Each kernel exports
 *   prepare(seed, size) -> i32   generate the input inside linear memory (not timed)
 *   run() -> i32                 do the work once, return a checksum (timed)
 * so that any engine can run it with no host functions and no access to linear memory. */
#ifndef KERNEL_H
#define KERNEL_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int i32;
typedef long long i64;
typedef __SIZE_TYPE__ size_t;

#ifdef __wasm__
#define EXPORT(name) __attribute__((export_name(name))) __attribute__((used))
#else
/* The native baseline (build.sh's lib<kernel>.so): built with -fvisibility=hidden, so the exports
 * are the library's only visible symbols, and memset/memcpy below stay its own. */
#define EXPORT(name) __attribute__((visibility("default"))) __attribute__((used))
#endif

/* xorshift32: tiny and easy to reproduce on the Java side (Kernels.java). Never seeded with 0. */
static u32 rng_state = 1;
static inline void rng_seed(u32 seed) { rng_state = seed ? seed : 0x9e3779b9u; }
static inline u32 rng_next(void) {
  u32 x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  rng_state = x;
  return x;
}

/* clang lowers struct copies and zeroing to these; without bulk memory they must exist here. */
void *memset(void *dst, int c, size_t n) {
  u8 *d = dst;
  while (n--) *d++ = (u8)c;
  return dst;
}
void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
  u8 *d = dst;
  const u8 *s = src;
  while (n--) *d++ = *s++;
  return dst;
}

#endif
