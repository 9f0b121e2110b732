// Run copies for im2col from padded images (see lm_copy_runs in CKernels.h): short runs (the
// 3-15 pixel rows of small maps) cost one or two unaligned 8-float moves each instead of a
// per-element loop.
#include "CKernels.h"

#include <string.h>

typedef float v8 __attribute__((vector_size(32), aligned(4)));

__attribute__((target("avx"))) static void copy_runs_avx(const float *src, const long *row_src, int rows,
                                                        const long *run_src, const long *run_dst,
                                                        const int *run_len, int nruns, float *dst, long ldc) {
  for (int r = 0; r < rows; r++) {
    const float *s = src + row_src[r];
    float *d = dst + r * ldc;
    for (int j = 0; j < nruns; j++) {
      const float *a = s + run_src[j];
      float *b = d + run_dst[j];
      for (int k = 0; k < run_len[j]; k += 8) {
        v8 v;
        memcpy(&v, a + k, 32);
        memcpy(b + k, &v, 32);
      }
    }
  }
}

static void copy_runs_scalar(const float *src, const long *row_src, int rows, const long *run_src,
                             const long *run_dst, const int *run_len, int nruns, float *dst, long ldc) {
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < nruns; j++)
      memcpy(dst + r * ldc + run_dst[j], src + row_src[r] + run_src[j], sizeof(float) * run_len[j]);
}

void lm_copy_runs(const float *src, const long *row_src, int rows, const long *run_src, const long *run_dst,
                  const int *run_len, int nruns, float *dst, long ldc) {
  static int avx = -1;
  if (avx < 0) avx = __builtin_cpu_supports("avx");
  if (avx) copy_runs_avx(src, row_src, rows, run_src, run_dst, run_len, nruns, dst, ldc);
  else copy_runs_scalar(src, row_src, rows, run_src, run_dst, run_len, nruns, dst, ldc);
}
