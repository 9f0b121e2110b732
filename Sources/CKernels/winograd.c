// Winograd F(2x2, 3x3) transforms for 3x3 stride-1 convolutions (Lavin & Gray 2016).
//
// A 4x4 input tile d (rows 2ty.., columns 2tx.. of the zero-padded input) and a 3x3 filter g
// give the 2x2 output tile Y = A^T [(G g G^T) * (B^T d B)] A, with
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
//   A^T = [1 1 1 0; 0 1 -1 -1].
// The 16 element-wise products summed over channels are 16 matrix products (done by the caller
// on OpenBLAS); this file holds the transforms. Transformed tiles are stored as
// [xi][channel][tile] (xi = 4i + j the tile element): element xi of channel ch, tile t at
// buf[xi * ldxi + ch * ldt + t]. Tiles are (ty, tx) of one image, tx fastest; the loops over tx
// are unit-stride (the inputs with stride 2) so the compiler vectorizes them; each is compiled
// for AVX-512, AVX2/FMA and plain x86-64, chosen at run time.
#include "winograd.h"
#include "CKernels.h"

#include <stdlib.h>
#include <string.h>

#define INL static inline __attribute__((always_inline))

void lm_wino_filter_transform(const float *w, int O, int C, float *U, long ldxi) {
  for (int o = 0; o < O; o++)
    for (int c = 0; c < C; c++) {
      const float *g = w + ((size_t)o * C + c) * 9;
      float t[4][3], u[4][4];
      for (int k = 0; k < 3; k++) {  // G g: rows
        t[0][k] = g[k];
        t[1][k] = 0.5f * (g[k] + g[3 + k] + g[6 + k]);
        t[2][k] = 0.5f * (g[k] - g[3 + k] + g[6 + k]);
        t[3][k] = g[6 + k];
      }
      for (int i = 0; i < 4; i++) {  // (G g) G^T: columns
        u[i][0] = t[i][0];
        u[i][1] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
        u[i][2] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
        u[i][3] = t[i][2];
      }
      for (int xi = 0; xi < 16; xi++) U[xi * ldxi + (size_t)o * C + c] = u[xi / 4][xi % 4];
    }
}

void lm_wino_filter_grad(const float *dU, long ldxi, int O, int C, float *gw) {
  for (int o = 0; o < O; o++)
    for (int c = 0; c < C; c++) {
      float u[4][4], t[3][4];
      for (int xi = 0; xi < 16; xi++) u[xi / 4][xi % 4] = dU[xi * ldxi + (size_t)o * C + c];
      for (int j = 0; j < 4; j++) {  // G^T dU: rows
        t[0][j] = u[0][j] + 0.5f * (u[1][j] + u[2][j]);
        t[1][j] = 0.5f * (u[1][j] - u[2][j]);
        t[2][j] = 0.5f * (u[1][j] + u[2][j]) + u[3][j];
      }
      float *g = gw + ((size_t)o * C + c) * 9;
      for (int k = 0; k < 3; k++) {  // (G^T dU) G: columns
        g[k * 3 + 0] += t[k][0] + 0.5f * (t[k][1] + t[k][2]);
        g[k * 3 + 1] += 0.5f * (t[k][1] - t[k][2]);
        g[k * 3 + 2] += 0.5f * (t[k][1] + t[k][2]) + t[k][3];
      }
    }
}

// Row y of a plane copied into prow[0, len) at column offset `pad`, zeros elsewhere (rows
// outside [0, H) are all zeros).
INL void padded_row(const float *plane, int H, int W, int y, int pad, float *prow, int len) {
  memset(prow, 0, sizeof(float) * len);
  if (y < 0 || y >= H) return;
  int n = W < len - pad ? W : len - pad;
  if (n > 0) memcpy(prow + pad, plane + (size_t)y * W, sizeof(float) * n);
}

// Input tiles of tile rows [ty0, ty1) of one image x[C][H][W] (zero padding `pad`), tile t =
// (ty - ty0) * tw + tx. `scratch` holds 4 * (2 * tw + 2) floats.
INL void input_tiles_body(const float *x, int C, int H, int W, int pad, int ty0, int ty1, int tw, float *restrict V,
                          long ldxi, long ldt, float *restrict scratch) {
  const int len = 2 * tw + 2;
  float *restrict r0 = scratch, *restrict r1 = scratch + len, *restrict r2 = scratch + 2 * len,
                  *restrict r3 = scratch + 3 * len;
  for (int c = 0; c < C; c++) {
    const float *plane = x + (size_t)c * H * W;
    for (int ty = ty0; ty < ty1; ty++) {
      int y = 2 * ty - pad;
      padded_row(plane, H, W, y, pad, r0, len);
      padded_row(plane, H, W, y + 1, pad, r1, len);
      padded_row(plane, H, W, y + 2, pad, r2, len);
      padded_row(plane, H, W, y + 3, pad, r3, len);
      float *restrict v = V + (size_t)c * ldt + (size_t)(ty - ty0) * tw;
      for (int tx = 0; tx < tw; tx++) {
        const int k = 2 * tx;
        // B^T d per row (horizontal), then down the columns.
        float a0 = r0[k] - r0[k + 2], a1 = r0[k + 1] + r0[k + 2], a2 = r0[k + 2] - r0[k + 1], a3 = r0[k + 1] - r0[k + 3];
        float b0 = r1[k] - r1[k + 2], b1 = r1[k + 1] + r1[k + 2], b2 = r1[k + 2] - r1[k + 1], b3 = r1[k + 1] - r1[k + 3];
        float c0 = r2[k] - r2[k + 2], c1 = r2[k + 1] + r2[k + 2], c2 = r2[k + 2] - r2[k + 1], c3 = r2[k + 1] - r2[k + 3];
        float d0 = r3[k] - r3[k + 2], d1 = r3[k + 1] + r3[k + 2], d2 = r3[k + 2] - r3[k + 1], d3 = r3[k + 1] - r3[k + 3];
        v[0 * ldxi + tx] = a0 - c0;
        v[1 * ldxi + tx] = a1 - c1;
        v[2 * ldxi + tx] = a2 - c2;
        v[3 * ldxi + tx] = a3 - c3;
        v[4 * ldxi + tx] = b0 + c0;
        v[5 * ldxi + tx] = b1 + c1;
        v[6 * ldxi + tx] = b2 + c2;
        v[7 * ldxi + tx] = b3 + c3;
        v[8 * ldxi + tx] = c0 - b0;
        v[9 * ldxi + tx] = c1 - b1;
        v[10 * ldxi + tx] = c2 - b2;
        v[11 * ldxi + tx] = c3 - b3;
        v[12 * ldxi + tx] = b0 - d0;
        v[13 * ldxi + tx] = b1 - d1;
        v[14 * ldxi + tx] = b2 - d2;
        v[15 * ldxi + tx] = b3 - d3;
      }
    }
  }
}

// Output tiles: out[o][y][x] (Ho x Wo, rows [2 ty0, 2 ty1) that exist) = A^T M A + bias[o].
// `scratch` holds 2 * (2 * tw) floats.
INL void output_tiles_body(const float *restrict M, long ldxi, long ldt, int O, int Ho, int Wo, int ty0, int ty1,
                           int tw, const float *bias, float *out, float *restrict scratch) {
  float *restrict y0 = scratch, *restrict y1 = scratch + 2 * tw;
  for (int o = 0; o < O; o++) {
    const float b = bias ? bias[o] : 0.0f;
    float *plane = out + (size_t)o * Ho * Wo;
    for (int ty = ty0; ty < ty1; ty++) {
      const float *restrict m = M + (size_t)o * ldt + (size_t)(ty - ty0) * tw;
      for (int tx = 0; tx < tw; tx++) {
        // A^T M: rows 0..3 of M combine into two rows s, t (4 columns each).
        float s0 = m[0 * ldxi + tx] + m[4 * ldxi + tx] + m[8 * ldxi + tx];
        float s1 = m[1 * ldxi + tx] + m[5 * ldxi + tx] + m[9 * ldxi + tx];
        float s2 = m[2 * ldxi + tx] + m[6 * ldxi + tx] + m[10 * ldxi + tx];
        float s3 = m[3 * ldxi + tx] + m[7 * ldxi + tx] + m[11 * ldxi + tx];
        float t0 = m[4 * ldxi + tx] - m[8 * ldxi + tx] - m[12 * ldxi + tx];
        float t1 = m[5 * ldxi + tx] - m[9 * ldxi + tx] - m[13 * ldxi + tx];
        float t2 = m[6 * ldxi + tx] - m[10 * ldxi + tx] - m[14 * ldxi + tx];
        float t3 = m[7 * ldxi + tx] - m[11 * ldxi + tx] - m[15 * ldxi + tx];
        y0[2 * tx] = s0 + s1 + s2 + b;
        y0[2 * tx + 1] = s1 - s2 - s3 + b;
        y1[2 * tx] = t0 + t1 + t2 + b;
        y1[2 * tx + 1] = t1 - t2 - t3 + b;
      }
      if (2 * ty < Ho) memcpy(plane + (size_t)(2 * ty) * Wo, y0, sizeof(float) * Wo);
      if (2 * ty + 1 < Ho) memcpy(plane + (size_t)(2 * ty + 1) * Wo, y1, sizeof(float) * Wo);
    }
  }
}

// Output-gradient tiles for the weight gradient: dM = A dY A^T of the 2x2 tiles of
// gout[O][Ho][Wo] (zeros past the edge). `scratch` holds 2 * (2 * tw) floats.
INL void gout_tiles_body(const float *gout, int O, int Ho, int Wo, int ty0, int ty1, int tw, float *restrict D,
                         long ldxi, long ldt, float *restrict scratch) {
  const int len = 2 * tw;
  float *restrict g0 = scratch, *restrict g1 = scratch + len;
  for (int o = 0; o < O; o++) {
    const float *plane = gout + (size_t)o * Ho * Wo;
    for (int ty = ty0; ty < ty1; ty++) {
      padded_row(plane, Ho, Wo, 2 * ty, 0, g0, len);
      padded_row(plane, Ho, Wo, 2 * ty + 1, 0, g1, len);
      float *restrict d = D + (size_t)o * ldt + (size_t)(ty - ty0) * tw;
      for (int tx = 0; tx < tw; tx++) {
        const int k = 2 * tx;
        // dY A^T per row: [y0, y0 + y1, y0 - y1, -y1]; then A down the columns.
        float h0 = g0[k], h1 = g0[k] + g0[k + 1], h2 = g0[k] - g0[k + 1], h3 = -g0[k + 1];
        float l0 = g1[k], l1 = g1[k] + g1[k + 1], l2 = g1[k] - g1[k + 1], l3 = -g1[k + 1];
        d[0 * ldxi + tx] = h0;
        d[1 * ldxi + tx] = h1;
        d[2 * ldxi + tx] = h2;
        d[3 * ldxi + tx] = h3;
        d[4 * ldxi + tx] = h0 + l0;
        d[5 * ldxi + tx] = h1 + l1;
        d[6 * ldxi + tx] = h2 + l2;
        d[7 * ldxi + tx] = h3 + l3;
        d[8 * ldxi + tx] = h0 - l0;
        d[9 * ldxi + tx] = h1 - l1;
        d[10 * ldxi + tx] = h2 - l2;
        d[11 * ldxi + tx] = h3 - l3;
        d[12 * ldxi + tx] = -l0;
        d[13 * ldxi + tx] = -l1;
        d[14 * ldxi + tx] = -l2;
        d[15 * ldxi + tx] = -l3;
      }
    }
  }
}

// Variants per instruction set, chosen once.
#define VARIANTS(ATTR, SUFFIX)                                                                                  \
  ATTR static void input_tiles_##SUFFIX(const float *x, int C, int H, int W, int pad,   \
                                                                   int ty0, int ty1, int tw, float *V, long ldxi,  \
                                                                   long ldt, float *s) {                           \
    input_tiles_body(x, C, H, W, pad, ty0, ty1, tw, V, ldxi, ldt, s);                                             \
  }                                                                                                                \
  ATTR static void output_tiles_##SUFFIX(const float *M, long ldxi, long ldt, int O,    \
                                                                    int Ho, int Wo, int ty0, int ty1, int tw,      \
                                                                    const float *bias, float *out, float *s) {     \
    output_tiles_body(M, ldxi, ldt, O, Ho, Wo, ty0, ty1, tw, bias, out, s);                                        \
  }                                                                                                                \
  ATTR static void gout_tiles_##SUFFIX(const float *g, int O, int Ho, int Wo, int ty0,  \
                                                                  int ty1, int tw, float *D, long ldxi, long ldt,  \
                                                                  float *s) {                                      \
    gout_tiles_body(g, O, Ho, Wo, ty0, ty1, tw, D, ldxi, ldt, s);                                                  \
  }

#if defined(__x86_64__)
VARIANTS(__attribute__((target("avx2,fma,avx512f,avx512vl"))), avx512)
VARIANTS(__attribute__((target("avx2,fma"))), avx2)
#endif
VARIANTS(, plain)

// 2 = AVX-512, 1 = AVX2/FMA, 0 = plain; lm_conv_allow_avx512(0) (tests) drops 2 to 1.
int lm_wino_isa_level(void) {
  static int level = -1;
  if (level < 0) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int wide = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
    level = wide ? 2 : avx2 ? 1 : 0;
#else
    level = 0;
#endif
  }
  return level == 2 && !lm_conv_avx512_allowed() ? 1 : level;
}

void lm_wino_input_tiles(const float *x, int C, int H, int W, int pad, int ty0, int ty1, int tw, float *V, long ldxi,
                         long ldt, float *scratch) {
  switch (lm_wino_isa_level()) {
#if defined(__x86_64__)
  case 2: input_tiles_avx512(x, C, H, W, pad, ty0, ty1, tw, V, ldxi, ldt, scratch); return;
  case 1: input_tiles_avx2(x, C, H, W, pad, ty0, ty1, tw, V, ldxi, ldt, scratch); return;
#endif
  default: input_tiles_plain(x, C, H, W, pad, ty0, ty1, tw, V, ldxi, ldt, scratch);
  }
}

void lm_wino_output_tiles(const float *M, long ldxi, long ldt, int O, int Ho, int Wo, int ty0, int ty1, int tw,
                          const float *bias, float *out, float *scratch) {
  switch (lm_wino_isa_level()) {
#if defined(__x86_64__)
  case 2: output_tiles_avx512(M, ldxi, ldt, O, Ho, Wo, ty0, ty1, tw, bias, out, scratch); return;
  case 1: output_tiles_avx2(M, ldxi, ldt, O, Ho, Wo, ty0, ty1, tw, bias, out, scratch); return;
#endif
  default: output_tiles_plain(M, ldxi, ldt, O, Ho, Wo, ty0, ty1, tw, bias, out, scratch);
  }
}

void lm_wino_gout_tiles(const float *gout, int O, int Ho, int Wo, int ty0, int ty1, int tw, float *D, long ldxi,
                        long ldt, float *scratch) {
  switch (lm_wino_isa_level()) {
#if defined(__x86_64__)
  case 2: gout_tiles_avx512(gout, O, Ho, Wo, ty0, ty1, tw, D, ldxi, ldt, scratch); return;
  case 1: gout_tiles_avx2(gout, O, Ho, Wo, ty0, ty1, tw, D, ldxi, ldt, scratch); return;
#endif
  default: gout_tiles_plain(gout, O, Ho, Wo, ty0, ty1, tw, D, ldxi, ldt, scratch);
  }
}
