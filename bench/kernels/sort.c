/* Sorts n 32-bit signed integers generated from a seed: an introsort (quicksort with a
 * median-of-three pivot, insertion sort below 24 elements, heapsort past a depth limit). run()
 * copies the pristine input into the work array, sorts it, checks the order and returns
 * sum(a[i] * (i + 1)) mod 2^32, or -1 if the result is not sorted. */
#include "kernel.h"

#define MAX_N 1000000
static i32 pristine[MAX_N];
static i32 work[MAX_N];
static i32 count;

static void insertion(i32 *a, i32 lo, i32 hi) { /* [lo, hi] inclusive */
  for (i32 i = lo + 1; i <= hi; i++) {
    i32 v = a[i], j = i - 1;
    while (j >= lo && a[j] > v) { a[j + 1] = a[j]; j--; }
    a[j + 1] = v;
  }
}

static void sift_down(i32 *a, i32 root, i32 n) {
  i32 v = a[root];
  for (;;) {
    i32 child = 2 * root + 1;
    if (child >= n) break;
    if (child + 1 < n && a[child + 1] > a[child]) child++;
    if (a[child] <= v) break;
    a[root] = a[child];
    root = child;
  }
  a[root] = v;
}

static void heapsort(i32 *a, i32 n) {
  for (i32 i = n / 2 - 1; i >= 0; i--) sift_down(a, i, n);
  for (i32 end = n - 1; end > 0; end--) {
    i32 t = a[0]; a[0] = a[end]; a[end] = t;
    sift_down(a, 0, end);
  }
}

static inline void swap(i32 *a, i32 i, i32 j) { i32 t = a[i]; a[i] = a[j]; a[j] = t; }

static void introsort(i32 *a, i32 lo, i32 hi, int depth) {
  while (hi - lo >= 24) {
    if (depth-- == 0) { heapsort(a + lo, hi - lo + 1); return; }
    i32 mid = lo + (hi - lo) / 2;
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    i32 pivot = a[mid];
    i32 i = lo, j = hi;
    while (i <= j) { /* Hoare partition */
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) { swap(a, i, j); i++; j--; }
    }
    /* Recurse into the smaller side, loop on the larger: stack depth stays O(log n). */
    if (j - lo < hi - i) { introsort(a, lo, j, depth); lo = i; }
    else { introsort(a, i, hi, depth); hi = j; }
  }
  insertion(a, lo, hi);
}

EXPORT("prepare") i32 prepare(i32 seed, i32 n) {
  if (n < 0 || n > MAX_N) return -1;
  rng_seed((u32)seed);
  for (i32 i = 0; i < n; i++) pristine[i] = (i32)rng_next();
  count = n;
  return n;
}

EXPORT("run") i32 run(void) {
  i32 n = count;
  for (i32 i = 0; i < n; i++) work[i] = pristine[i];
  int depth = 0;
  for (i32 m = n; m > 1; m >>= 1) depth += 2;
  introsort(work, 0, n - 1, depth);
  u32 sum = 0;
  for (i32 i = 0; i < n; i++) {
    if (i > 0 && work[i - 1] > work[i]) return -1;
    sum += (u32)work[i] * (u32)(i + 1);
  }
  return (i32)sum;
}
