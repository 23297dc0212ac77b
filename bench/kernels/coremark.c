/* A CoreMark-like mix (written for this project, not CoreMark's code): each iteration does
 *   - list work: a 256-node linked list in a static pool, searched, reversed, merge-sorted by one
 *     key and then by another;
 *   - matrix work: 40x40 16-bit matrices, add a constant, multiply by a scalar and by a matrix,
 *     then a sum that extracts bit fields;
 *   - a state machine that scans a 1 KiB buffer of number-like tokens ("42", "-1.5", "3e-8",
 *     "0x1f", junk) and counts how each token ends and every state transition;
 * and folds every result into a CRC-16. Each iteration perturbs the inputs with its index, so no
 * iteration can be skipped. prepare(seed, iterations) makes the inputs; run() returns the CRC. */
#include "kernel.h"

static u16 crc16(u16 crc, u32 v, int bytes) {
  for (int b = 0; b < bytes; b++) {
    crc ^= (u8)(v >> (8 * b));
    for (int i = 0; i < 8; i++) crc = (crc & 1) ? (u16)((crc >> 1) ^ 0xa001) : (u16)(crc >> 1);
  }
  return crc;
}

/* ---------------------------------------------------------------------- list */
#define NODES 256
typedef struct node { struct node *next; short key; short val; } node;
static node pool[NODES];
static short list_seed_keys[NODES], list_seed_vals[NODES];

static node *list_build(u32 iter) {
  node *head = 0;
  for (int i = NODES - 1; i >= 0; i--) {
    pool[i].key = (short)(list_seed_keys[i] ^ (short)iter);
    pool[i].val = (short)(list_seed_vals[i] + (short)(iter * 7));
    pool[i].next = head;
    head = &pool[i];
  }
  return head;
}
static node *list_find(node *l, short key) {
  while (l && l->key != key) l = l->next;
  return l;
}
static node *list_reverse(node *l) {
  node *prev = 0;
  while (l) { node *n = l->next; l->next = prev; prev = l; l = n; }
  return prev;
}
static int by_key(const node *a, const node *b) { return a->key - b->key; }
static int by_val(const node *a, const node *b) { return a->val != b->val ? a->val - b->val : a->key - b->key; }
/* Bottom-up merge sort of a singly linked list, stable. */
static node *list_sort(node *l, int (*cmp)(const node *, const node *)) {
  for (int width = 1;; width *= 2) {
    node *p = l, *tail = 0;
    l = 0;
    int merges = 0;
    while (p) {
      merges++;
      node *q = p;
      int psize = 0;
      for (int i = 0; i < width && q; i++) { psize++; q = q->next; }
      int qsize = width;
      while (psize > 0 || (qsize > 0 && q)) {
        node *e;
        if (psize == 0) { e = q; q = q->next; qsize--; }
        else if (qsize == 0 || !q || cmp(p, q) <= 0) { e = p; p = p->next; psize--; }
        else { e = q; q = q->next; qsize--; }
        if (tail) tail->next = e; else l = e;
        tail = e;
      }
      p = q;
    }
    tail->next = 0;
    if (merges <= 1) return l;
  }
}
static u16 list_work(u16 crc, u32 iter) {
  node *l = list_build(iter);
  int found = 0, missing = 0;
  for (int i = 0; i < 16; i++) {
    node *f = list_find(l, (short)(list_seed_keys[(i * 37 + iter) % NODES] ^ (short)iter));
    if (f) { found++; crc = crc16(crc, (u16)f->val, 2); } else missing++;
    if (!list_find(l, (short)(0x7fff - i))) missing++;
  }
  l = list_reverse(l);
  l = list_sort(l, by_key);
  crc = crc16(crc, (u16)l->key, 2);
  int ordered = 1;
  for (node *n = l; n->next; n = n->next) ordered &= n->key <= n->next->key;
  l = list_sort(l, by_val);
  for (node *n = l; n; n = n->next) crc = crc16(crc, (u16)(n->val ^ n->key), 2);
  return crc16(crc, (u32)(found << 16 | missing << 1 | ordered), 4);
}

/* -------------------------------------------------------------------- matrix */
#define N 40
static short ma[N][N], mb[N][N];
static int mc[N][N];

static u16 matrix_work(u16 crc, u32 iter) {
  short k = (short)(iter & 0xff);
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) { ma[i][j] = (short)(ma[i][j] + k); mb[i][j] = (short)(mb[i][j] ^ k); }
  for (int i = 0; i < N; i++) /* C = A * scalar */
    for (int j = 0; j < N; j++) mc[i][j] = ma[i][j] * (int)(k + 3);
  int acc = 0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) acc += (mc[i][j] >> 2) & 0xfff;
  crc = crc16(crc, (u32)acc, 4);
  for (int i = 0; i < N; i++) /* C = A * B */
    for (int j = 0; j < N; j++) {
      int s = 0;
      for (int x = 0; x < N; x++) s += ma[i][x] * mb[x][j];
      mc[i][j] = s;
    }
  acc = 0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) { int v = mc[i][j]; acc += v > acc ? (v >> 3) & 0x3ff : (v >> 5) & 0x7f; }
  for (int i = 0; i < N; i++) /* undo the additions, so the matrices stay bounded */
    for (int j = 0; j < N; j++) ma[i][j] = (short)(ma[i][j] - k);
  return crc16(crc, (u32)acc, 4);
}

/* ------------------------------------------------------------- state machine */
#define TEXT 1024
static u8 text[TEXT];
enum { S_START, S_SIGN, S_INT, S_ZERO, S_HEX, S_DOT, S_FRAC, S_EXP, S_EXPSIGN, S_SCI, S_BAD, STATES };

static int next_state(int s, u8 c) {
  int digit = c >= '0' && c <= '9';
  switch (s) {
    case S_START: return c == '+' || c == '-' ? S_SIGN : c == '0' ? S_ZERO : digit ? S_INT : c == '.' ? S_DOT : S_BAD;
    case S_SIGN: return c == '0' ? S_ZERO : digit ? S_INT : c == '.' ? S_DOT : S_BAD;
    case S_ZERO: return c == 'x' || c == 'X' ? S_HEX : digit ? S_INT : c == '.' ? S_FRAC : c == 'e' || c == 'E' ? S_EXP : S_BAD;
    case S_INT: return digit ? S_INT : c == '.' ? S_FRAC : c == 'e' || c == 'E' ? S_EXP : S_BAD;
    case S_HEX: return digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ? S_HEX : S_BAD;
    case S_DOT: return digit ? S_FRAC : S_BAD;
    case S_FRAC: return digit ? S_FRAC : c == 'e' || c == 'E' ? S_EXP : S_BAD;
    case S_EXP: return c == '+' || c == '-' ? S_EXPSIGN : digit ? S_SCI : S_BAD;
    case S_EXPSIGN: return digit ? S_SCI : S_BAD;
    case S_SCI: return digit ? S_SCI : S_BAD;
    default: return S_BAD;
  }
}
static u16 state_work(u16 crc, u32 iter) {
  u32 final_count[STATES] = {0}, transitions = 0;
  /* perturb a few bytes, scan, restore */
  u32 at[4];
  u8 saved[4];
  for (int i = 0; i < 4; i++) {
    at[i] = (iter * 131 + (u32)i * 257) % TEXT;
    saved[i] = text[at[i]];
    if (text[at[i]] != ',') text[at[i]] = (u8)('0' + (iter + (u32)i) % 10);
  }
  int s = S_START;
  for (int i = 0; i < TEXT; i++) {
    u8 c = text[i];
    if (c == ',') { final_count[s]++; s = S_START; continue; }
    int t = next_state(s, c);
    transitions += t != s;
    s = t;
  }
  final_count[s]++;
  for (int i = 3; i >= 0; i--) text[at[i]] = saved[i];
  for (int k = 0; k < STATES; k++) crc = crc16(crc, final_count[k], 2);
  return crc16(crc, transitions, 4);
}

/* ------------------------------------------------------------------- exports */
static u32 iterations;

EXPORT("prepare") i32 prepare(i32 seed, i32 iters) {
  if (iters < 1) return -1;
  rng_seed((u32)seed);
  iterations = (u32)iters;
  for (int i = 0; i < NODES; i++) { list_seed_keys[i] = (short)(rng_next() % 2048); list_seed_vals[i] = (short)rng_next(); }
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) { ma[i][j] = (short)(rng_next() % 256 - 128); mb[i][j] = (short)(rng_next() % 256 - 128); }
  static const char *const tokens[] = {"42", "-17", "+3.25", "0x1F", "6.02e23", "1e-9", ".5", "0", "-0.0", "12a", "0xzz", "--1", "7E+2", "3.", "e5", "99999"};
  u32 pos = 0;
  while (pos < TEXT) {
    const char *t = tokens[rng_next() % 16];
    while (*t && pos < TEXT) text[pos++] = (u8)*t++;
    if (pos < TEXT) text[pos++] = ',';
  }
  return (i32)iterations;
}

EXPORT("run") i32 run(void) {
  u16 crc = 0;
  for (u32 it = 0; it < iterations; it++) {
    crc = list_work(crc, it);
    crc = matrix_work(crc, it);
    crc = state_work(crc, it);
  }
  return crc;
}
