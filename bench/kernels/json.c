/* A validating JSON (RFC 8259) parser over a document generated from a seed.
 * prepare(seed, size) writes an array of records of about `size` bytes (objects, arrays, strings
 * with escapes and UTF-8, integers, fractions, exponents, true/false/null, some whitespace) and
 * counts what it wrote. run() parses the document, validating every token (escapes, \u hex digits,
 * UTF-8 sequences, number grammar, nesting, trailing garbage), counts the values by kind and hashes
 * the decoded string contents and number texts. It returns a checksum of counts and hash, -1 if the
 * document is invalid, -2 if the counts differ from the generator's. */
#include "kernel.h"

#define MAX_DOC (1u << 21)
#define MAX_DEPTH 256
static u8 doc[MAX_DOC];
static u32 doc_len;

enum { OBJECTS, ARRAYS, STRINGS, NUMBERS, TRUES, FALSES, NULLS, KINDS };
static u32 made[KINDS];

/* ---------------------------------------------------------------- generator */
static u32 out_pos;
static void put(u8 c) { if (out_pos < MAX_DOC) doc[out_pos++] = c; }
static void puts_(const char *s) { while (*s) put((u8)*s++); }
static void put_uint(u32 v) {
  char tmp[10];
  int n = 0;
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) put((u8)tmp[--n]);
}
static void space(void) {
  u32 r = rng_next() & 15;
  if (r == 0) put('\n');
  else if (r == 1) { put(' '); put(' '); }
  else if (r == 2) put('\t');
}
static void gen_string(u32 len) {
  static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-";
  static const char *const hex = "0123456789abcdef";
  made[STRINGS]++;
  put('"');
  for (u32 i = 0; i < len; i++) {
    u32 r = rng_next();
    switch (r % 23) {
      case 0: put('\\'); put("\"\\/bfnrt"[(r >> 8) % 8]); break;
      case 1: { /* \u escape of a BMP code point outside the surrogates */
        u32 cp = 0x20 + (r >> 8) % 0xd000;
        put('\\'); put('u');
        for (int s = 12; s >= 0; s -= 4) put((u8)hex[(cp >> s) & 15]);
        break;
      }
      case 2: put(0xc3); put((u8)(0xa0 + (r >> 8) % 32)); break;   /* 2-byte UTF-8: à..ÿ */
      case 3: put(0xe2); put(0x82); put(0xac); break;                /* 3-byte UTF-8: € */
      case 4: put(0xf0); put(0x9f); put((u8)(0x98 + (r >> 8) % 4)); put((u8)(0x80 + (r >> 16) % 64)); break; /* 4-byte */
      default: put((u8)letters[(r >> 8) % 64]); break;
    }
  }
  put('"');
}
static void gen_number(void) {
  u32 r = rng_next();
  made[NUMBERS]++;
  if (r & 1) put('-');
  u32 kind = (r >> 1) % 4;
  put_uint(kind == 0 ? (r >> 8) % 10 : (r >> 8) % 100000);
  if (kind >= 2) { put('.'); put_uint(1 + (r >> 4) % 999); }
  if (kind == 3) { put((r & 2) ? 'e' : 'E'); if (r & 4) put((r & 8) ? '-' : '+'); put_uint((r >> 24) % 300); }
}
static void gen_value(int depth);
static void gen_array(int depth) {
  made[ARRAYS]++;
  put('[');
  u32 n = rng_next() % (depth > 3 ? 3 : 6);
  for (u32 i = 0; i < n; i++) {
    if (i) put(',');
    space();
    gen_value(depth + 1);
  }
  put(']');
}
static void gen_object(int depth) {
  static const char *const keys[] = {"id", "name", "email", "score", "active", "tags", "meta", "note",
                                     "parent", "children", "x", "y", "created_at", "ratio", "kind", "ok"};
  made[OBJECTS]++;
  put('{');
  u32 n = rng_next() % (depth > 3 ? 3 : 7);
  for (u32 i = 0; i < n; i++) {
    if (i) put(',');
    space();
    made[STRINGS]++;
    put('"'); puts_(keys[rng_next() % 16]); put('"');
    space();
    put(':');
    space();
    gen_value(depth + 1);
  }
  put('}');
}
static void gen_value(int depth) {
  u32 r = rng_next() % 16;
  if (depth > 6 && r >= 12) r = r % 12;
  switch (r) {
    case 0: case 1: case 2: case 3: gen_string(rng_next() % 24); break;
    case 4: case 5: case 6: case 7: gen_number(); break;
    case 8: made[TRUES]++; puts_("true"); break;
    case 9: made[FALSES]++; puts_("false"); break;
    case 10: case 11: made[NULLS]++; puts_("null"); break;
    case 12: case 13: gen_array(depth); break;
    default: gen_object(depth); break;
  }
}

EXPORT("prepare") i32 prepare(i32 seed, i32 size) {
  if (size < 16 || (u32)size > MAX_DOC - 65536) return -1;
  rng_seed((u32)seed);
  for (int k = 0; k < KINDS; k++) made[k] = 0;
  out_pos = 0;
  made[ARRAYS]++;
  put('[');
  for (u32 i = 0; out_pos < (u32)size; i++) {
    if (i) { put(','); put('\n'); }
    gen_object(0);
  }
  put(']');
  put('\n');
  doc_len = out_pos;
  return (i32)doc_len;
}

/* ------------------------------------------------------------------- parser */
typedef struct {
  const u8 *p, *end;
  u32 hash;
  u32 count[KINDS];
} parser;

#define FNV(h, b) ((h) = ((h) ^ (u8)(b)) * 16777619u)

static void ws(parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t')) ps->p++;
}
static int hexval(u8 c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
static u32 hex4(parser *ps) { /* returns 0x10000+ on error */
  if (ps->end - ps->p < 4) return 0x110000;
  u32 v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(ps->p[i]);
    if (h < 0) return 0x110000;
    v = v << 4 | (u32)h;
  }
  ps->p += 4;
  return v;
}
/* After the opening quote; hashes the decoded code points. */
static int string(parser *ps) {
  ps->count[STRINGS]++;
  while (ps->p < ps->end) {
    u8 c = *ps->p++;
    u32 cp;
    if (c == '"') { FNV(ps->hash, 0); return 1; }
    if (c < 0x20) return 0;
    if (c == '\\') {
      if (ps->p >= ps->end) return 0;
      switch (*ps->p++) {
        case '"': cp = '"'; break;
        case '\\': cp = '\\'; break;
        case '/': cp = '/'; break;
        case 'b': cp = 8; break;
        case 'f': cp = 12; break;
        case 'n': cp = 10; break;
        case 'r': cp = 13; break;
        case 't': cp = 9; break;
        case 'u':
          cp = hex4(ps);
          if (cp > 0xffff) return 0;
          if (cp >= 0xd800 && cp <= 0xdbff) { /* a high surrogate needs its low half */
            if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') return 0;
            ps->p += 2;
            u32 lo = hex4(ps);
            if (lo < 0xdc00 || lo > 0xdfff) return 0;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            return 0;
          }
          break;
        default: return 0;
      }
    } else if (c < 0x80) {
      cp = c;
    } else { /* UTF-8: shortest form, no surrogates, at most U+10FFFF */
      int extra;
      if (c >= 0xc2 && c <= 0xdf) { extra = 1; cp = c & 0x1f; }
      else if (c >= 0xe0 && c <= 0xef) { extra = 2; cp = c & 0x0f; }
      else if (c >= 0xf0 && c <= 0xf4) { extra = 3; cp = c & 0x07; }
      else return 0;
      if (ps->end - ps->p < extra) return 0;
      for (int i = 0; i < extra; i++) {
        u8 k = *ps->p++;
        if ((k & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (k & 0x3f);
      }
      if ((extra == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    }
    FNV(ps->hash, cp);
    FNV(ps->hash, cp >> 8);
    FNV(ps->hash, cp >> 16);
  }
  return 0;
}
static int digits(parser *ps) {
  const u8 *start = ps->p;
  while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') { FNV(ps->hash, *ps->p); ps->p++; }
  return ps->p > start;
}
static int number(parser *ps) {
  ps->count[NUMBERS]++;
  if (*ps->p == '-') { FNV(ps->hash, '-'); ps->p++; }
  if (ps->p >= ps->end) return 0;
  if (*ps->p == '0') { FNV(ps->hash, '0'); ps->p++; }
  else if (!digits(ps)) return 0;
  if (ps->p < ps->end && *ps->p == '.') {
    FNV(ps->hash, '.');
    ps->p++;
    if (!digits(ps)) return 0;
  }
  if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
    FNV(ps->hash, 'e');
    ps->p++;
    if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) { FNV(ps->hash, *ps->p); ps->p++; }
    if (!digits(ps)) return 0;
  }
  return 1;
}
static int literal(parser *ps, const char *word, int kind) {
  for (const char *w = word; *w; w++) {
    if (ps->p >= ps->end || *ps->p != (u8)*w) return 0;
    ps->p++;
  }
  ps->count[kind]++;
  FNV(ps->hash, word[0]);
  return 1;
}
static int value(parser *ps, int depth) {
  ws(ps);
  if (ps->p >= ps->end) return 0;
  u8 c = *ps->p;
  if (c == '"') { ps->p++; return string(ps); }
  if (c == '-' || (c >= '0' && c <= '9')) return number(ps);
  if (c == 't') return literal(ps, "true", TRUES);
  if (c == 'f') return literal(ps, "false", FALSES);
  if (c == 'n') return literal(ps, "null", NULLS);
  if (depth >= MAX_DEPTH) return 0;
  if (c == '[') {
    ps->p++;
    ps->count[ARRAYS]++;
    FNV(ps->hash, '[');
    ws(ps);
    if (ps->p < ps->end && *ps->p == ']') { ps->p++; return 1; }
    for (;;) {
      if (!value(ps, depth + 1)) return 0;
      ws(ps);
      if (ps->p >= ps->end) return 0;
      c = *ps->p++;
      if (c == ']') return 1;
      if (c != ',') return 0;
    }
  }
  if (c == '{') {
    ps->p++;
    ps->count[OBJECTS]++;
    FNV(ps->hash, '{');
    ws(ps);
    if (ps->p < ps->end && *ps->p == '}') { ps->p++; return 1; }
    for (;;) {
      ws(ps);
      if (ps->p >= ps->end || *ps->p != '"') return 0;
      ps->p++;
      if (!string(ps)) return 0;
      ws(ps);
      if (ps->p >= ps->end || *ps->p++ != ':') return 0;
      if (!value(ps, depth + 1)) return 0;
      ws(ps);
      if (ps->p >= ps->end) return 0;
      c = *ps->p++;
      if (c == '}') return 1;
      if (c != ',') return 0;
    }
  }
  return 0;
}
/* Parses [text, text + len): 1 and the counts/hash in *ps if valid, 0 if not. */
static int parse(parser *ps, const u8 *text, u32 len) {
  ps->p = text;
  ps->end = text + len;
  ps->hash = 2166136261u;
  for (int k = 0; k < KINDS; k++) ps->count[k] = 0;
  if (!value(ps, 0)) return 0;
  ws(ps);
  return ps->p == ps->end;
}

EXPORT("run") i32 run(void) {
  parser ps;
  if (!parse(&ps, doc, doc_len)) return -1;
  u32 sum = ps.hash;
  for (int k = 0; k < KINDS; k++) {
    if (ps.count[k] != made[k]) return -2;
    sum = sum * 31 + ps.count[k];
  }
  return (i32)(sum & 0x7fffffff);
}

/* Valid and invalid documents: returns 1 if each is judged right, else 100 + the failing case. */
EXPORT("self_test") i32 self_test(void) {
  static const char *const good[] = {"0", "-0.5e+10", "[]", "{}", " [1, \"a\\u00e9\\ud83d\\ude00\", {\"k\": [true, false, null]}] ",
                                     "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "[[[[]]]]", "1E5"};
  static const char *const bad[] = {"", "01", "-", "1.", "1e", "[1,]", "{\"a\"}", "{\"a\":1,}", "[1 2]", "tru", "\"\\x\"",
                                    "\"\\ud800\"", "\"\\u12g4\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"a", "[1]x", "{1:2}",
                                    "\"\x01\""};
  parser ps;
  int n = 0;
  for (u32 i = 0; i < sizeof good / sizeof *good; i++, n++) {
    u32 len = 0;
    while (good[i][len]) len++;
    if (!parse(&ps, (const u8 *)good[i], len)) return 100 + n;
  }
  for (u32 i = 0; i < sizeof bad / sizeof *bad; i++, n++) {
    u32 len = 0;
    while (bad[i][len]) len++;
    if (parse(&ps, (const u8 *)bad[i], len)) return 100 + n;
  }
  return 1;
}
