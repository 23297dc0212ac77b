/* SHA-256 (FIPS 180-4) of a buffer generated from a seed. run() returns the first word of the
 * digest (big-endian, as the digest's first four bytes read as an int). */
#include "kernel.h"

#define MAX_INPUT (1u << 20)
static u8 input[MAX_INPUT];
static u32 input_len;

static const u32 K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline u32 rotr(u32 x, int n) { return (x >> n) | (x << (32 - n)); }

static void compress(u32 h[8], const u8 *block) {
  u32 w[64];
  for (int i = 0; i < 16; i++) {
    w[i] = (u32)block[4 * i] << 24 | (u32)block[4 * i + 1] << 16 | (u32)block[4 * i + 2] << 8 | block[4 * i + 3];
  }
  for (int i = 16; i < 64; i++) {
    u32 s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    u32 s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  u32 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; i++) {
    u32 t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    u32 t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void sha256(const u8 *data, u32 len, u32 out[8]) {
  u32 h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  u32 full = len & ~63u;
  for (u32 off = 0; off < full; off += 64) compress(h, data + off);
  u8 tail[128];
  u32 rest = len - full, n = 0;
  for (; n < rest; n++) tail[n] = data[full + n];
  tail[n++] = 0x80;
  u32 total = rest < 56 ? 64 : 128;
  while (n < total - 8) tail[n++] = 0;
  u64 bits = (u64)len * 8;
  for (int i = 7; i >= 0; i--) tail[n++] = (u8)(bits >> (8 * i));
  for (u32 off = 0; off < total; off += 64) compress(h, tail + off);
  for (int i = 0; i < 8; i++) out[i] = h[i];
}

/* Fills `size` bytes (at most 1 MiB) with the low byte of successive xorshift32 values. */
EXPORT("prepare") i32 prepare(i32 seed, i32 size) {
  if (size < 0 || (u32)size > MAX_INPUT) return -1;
  rng_seed((u32)seed);
  for (i32 i = 0; i < size; i++) input[i] = (u8)rng_next();
  input_len = (u32)size;
  return size;
}

EXPORT("run") i32 run(void) {
  u32 digest[8];
  sha256(input, input_len, digest);
  return (i32)digest[0];
}

/* Known-answer check: SHA-256("abc") starts with ba7816bf. */
EXPORT("self_test") i32 self_test(void) {
  static const u8 abc[3] = {'a', 'b', 'c'};
  u32 d[8];
  sha256(abc, 3, d);
  return d[0] == 0xba7816bfu && d[7] == 0xf20015adu;
}
