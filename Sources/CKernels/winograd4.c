// Winograd F(4x4, 3x3) transforms for 3x3 stride-1 convolutions (Lavin & Gray 2016, points
// 0, 1, -1, 2, -2 and infinity): a 6x6 input tile d (rows 4ty.., columns 4tx.. of the
// zero-padded input) and a 3x3 filter g give the 4x4 output tile Y = A^T [(G g G^T) * (B^T d B)] A:
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
// 36 multiplications per 4x4 output tile and channel pair instead of 144 (4x fewer, against
// F(2x2)'s 2.25x), at the price of larger transform constants (more rounding). Buffers as in
// winograd.c: [xi][channel][tile], xi = 6i + j, 36 planes. Each 6-point transform is one
// function of six values (written once, used along rows and columns), so a wrong entry breaks
// every pass that uses it. The loops over tiles are unit-stride (the row pass reads stride 4)
// and compiled for AVX-512, AVX2/FMA and plain x86-64, chosen at run time like winograd.c.
#include "winograd.h"
#include "CKernels.h"

#include <string.h>

#define INL static inline __attribute__((always_inline))

// B^T applied to six values (a row or a column of a tile).
INL void bt6(float d0, float d1, float d2, float d3, float d4, float d5, float *v) {
  v[0] = 4.0f * d0 - 5.0f * d2 + d4;
  v[1] = -4.0f * (d1 + d2) + d3 + d4;
  v[2] = 4.0f * (d1 - d2) - d3 + d4;
  v[3] = -2.0f * (d1 - d3) - d2 + d4;
  v[4] = 2.0f * (d1 - d3) - d2 + d4;
  v[5] = 4.0f * d1 - 5.0f * d3 + d5;
}

// A^T applied to six values: four outputs.
INL void at6(float m0, float m1, float m2, float m3, float m4, float m5, float *y) {
  float p1 = m1 + m2, n1 = m1 - m2, p3 = m3 + m4, n3 = m3 - m4;
  y[0] = m0 + p1 + p3;
  y[1] = n1 + 2.0f * n3;
  y[2] = p1 + 4.0f * p3;
  y[3] = n1 + 8.0f * n3 + m5;
}

// A applied to four values (the transpose of at6): six outputs, for the output gradient.
INL void a6(float g0, float g1, float g2, float g3, float *d) {
  d[0] = g0;
  d[1] = g0 + g1 + g2 + g3;
  d[2] = g0 - g1 + g2 - g3;
  d[3] = g0 + 2.0f * g1 + 4.0f * g2 + 8.0f * g3;
  d[4] = g0 - 2.0f * g1 + 4.0f * g2 - 8.0f * g3;
  d[5] = g3;
}

// G applied to three values: six outputs.
// Reciprocals as constants (multiplications, not divisions, in the filter transforms).
#define R6 (1.0f / 6.0f)
#define R12 (1.0f / 12.0f)
#define R24 (1.0f / 24.0f)

INL void g6(float g0, float g1, float g2, float *u) {
  u[0] = 0.25f * g0;
  u[1] = -(g0 + g1 + g2) * R6;
  u[2] = -(g0 - g1 + g2) * R6;
  u[3] = g0 * R24 + g1 * R12 + g2 * R6;
  u[4] = g0 * R24 - g1 * R12 + g2 * R6;
  u[5] = g2;
}

// G^T applied to six values (the transpose of g6): three outputs, for the weight gradient.
INL void gt6(const float *u, float *g) {
  g[0] = 0.25f * u[0] - (u[1] + u[2]) * R6 + (u[3] + u[4]) * R24;
  g[1] = (u[2] - u[1]) * R6 + (u[3] - u[4]) * R12;
  g[2] = (u[3] + u[4] - u[1] - u[2]) * R6 + u[5];
}

// Channels per block of the filter transforms: U's 36 planes lie O*C floats apart (often a
// multiple of 4 KB, so writing all 36 per filter thrashed one cache set: 7x slower than the
// F(2x2) transform); a block goes through a small buffer and each plane is copied as one run.
#define FBLOCK 64
#define FSTRIDE (FBLOCK + 8)

void lm_wino4_filter_transform(const float *w, int O, int C, float *U, long ldxi) {
  float buf[36 * FSTRIDE];
  for (int o = 0; o < O; o++)
    for (int c0 = 0; c0 < C; c0 += FBLOCK) {
      const int nc = C - c0 < FBLOCK ? C - c0 : FBLOCK;
      for (int cb = 0; cb < nc; cb++) {
        const float *g = w + ((size_t)o * C + c0 + cb) * 9;
        float t[6][3], col[6], u[6];
        for (int k = 0; k < 3; k++) {  // G g: column k of the filter
          g6(g[k], g[3 + k], g[6 + k], col);
          for (int i = 0; i < 6; i++) t[i][k] = col[i];
        }
        for (int i = 0; i < 6; i++) {  // (G g) G^T: rows
          g6(t[i][0], t[i][1], t[i][2], u);
          for (int j = 0; j < 6; j++) buf[(6 * i + j) * FSTRIDE + cb] = u[j];
        }
      }
      for (int xi = 0; xi < 36; xi++)
        memcpy(U + xi * ldxi + (size_t)o * C + c0, buf + xi * FSTRIDE, sizeof(float) * nc);
    }
}

void lm_wino4_filter_grad(const float *dU, long ldxi, int O, int C, float *gw) {
  float buf[36 * FSTRIDE];
  for (int o = 0; o < O; o++)
    for (int c0 = 0; c0 < C; c0 += FBLOCK) {
      const int nc = C - c0 < FBLOCK ? C - c0 : FBLOCK;
      for (int xi = 0; xi < 36; xi++)
        memcpy(buf + xi * FSTRIDE, dU + xi * ldxi + (size_t)o * C + c0, sizeof(float) * nc);
      for (int cb = 0; cb < nc; cb++) {
        float col[6], t[3][6], g[3];
        for (int j = 0; j < 6; j++) {  // G^T dU: column j
          for (int i = 0; i < 6; i++) col[i] = buf[(6 * i + j) * FSTRIDE + cb];
          gt6(col, g);
          for (int k = 0; k < 3; k++) t[k][j] = g[k];
        }
        float *out = gw + ((size_t)o * C + c0 + cb) * 9;
        for (int k = 0; k < 3; k++) {  // (G^T dU) G: rows
          gt6(t[k], g);
          for (int l = 0; l < 3; l++) out[k * 3 + l] += g[l];
        }
      }
    }
}

// Row y of a plane copied into prow[0, len) at column offset `pad`, zeros elsewhere.
INL void padded_row4(const float *plane, int H, int W, int y, int pad, float *prow, int len) {
  memset(prow, 0, sizeof(float) * len);
  if (y < 0 || y >= H) return;
  int n = W < len - pad ? W : len - pad;
  if (n > 0) memcpy(prow + pad, plane + (size_t)y * W, sizeof(float) * n);
}

// Input tiles of tile rows [ty0, ty1): per tile row, the six padded input rows, their row
// transforms (h[r][j][tx], unit stride in tx), then the column transforms into V.
// scratch: 6 (4 tw + 2) + 36 tw floats.
INL void input_tiles4_body(const float *x, int C, int H, int W, int pad, int ty0, int ty1, int tw, float *restrict V,
                           long ldxi, long ldt, float *restrict scratch) {
  const int len = 4 * tw + 2;
  float *restrict rows = scratch, *restrict h = scratch + 6 * len;
  for (int c = 0; c < C; c++) {
    const float *plane = x + (size_t)c * H * W;
    for (int ty = ty0; ty < ty1; ty++) {
      for (int r = 0; r < 6; r++) padded_row4(plane, H, W, 4 * ty - pad + r, pad, rows + r * len, len);
      for (int r = 0; r < 6; r++) {
        const float *restrict p = rows + r * len;
        float *restrict hr = h + (size_t)r * 6 * tw;
        for (int tx = 0; tx < tw; tx++) {
          const float *q = p + 4 * tx;
          float v[6];
          bt6(q[0], q[1], q[2], q[3], q[4], q[5], v);
          for (int j = 0; j < 6; j++) hr[j * tw + tx] = v[j];
        }
      }
      float *restrict out = V + (size_t)c * ldt + (size_t)(ty - ty0) * tw;
      for (int j = 0; j < 6; j++) {
        const float *restrict c0 = h + (0 * 6 + j) * tw, *restrict c1 = h + (1 * 6 + j) * tw,
                            *restrict c2 = h + (2 * 6 + j) * tw, *restrict c3 = h + (3 * 6 + j) * tw,
                            *restrict c4 = h + (4 * 6 + j) * tw, *restrict c5 = h + (5 * 6 + j) * tw;
        for (int tx = 0; tx < tw; tx++) {
          float v[6];
          bt6(c0[tx], c1[tx], c2[tx], c3[tx], c4[tx], c5[tx], v);
          for (int i = 0; i < 6; i++) out[(6 * i + j) * ldxi + tx] = v[i];
        }
      }
    }
  }
}

// Output tiles: out[o][y][x] (rows [4 ty0, 4 ty1) that exist) = A^T M A + bias[o]. Column
// transforms first (s[a][j][tx]), then rows into four output rows. scratch: 24 tw + 16 tw floats.
INL void output_tiles4_body(const float *restrict M, long ldxi, long ldt, int O, int Ho, int Wo, int ty0, int ty1,
                            int tw, const float *bias, float *out, float *restrict scratch) {
  float *restrict s = scratch, *restrict yrows = scratch + 24 * tw;
  for (int o = 0; o < O; o++) {
    const float b = bias ? bias[o] : 0.0f;
    float *plane = out + (size_t)o * Ho * Wo;
    for (int ty = ty0; ty < ty1; ty++) {
      const float *restrict m = M + (size_t)o * ldt + (size_t)(ty - ty0) * tw;
      for (int j = 0; j < 6; j++) {
        for (int tx = 0; tx < tw; tx++) {
          float y[4];
          at6(m[(0 + j) * ldxi + tx], m[(6 + j) * ldxi + tx], m[(12 + j) * ldxi + tx], m[(18 + j) * ldxi + tx],
              m[(24 + j) * ldxi + tx], m[(30 + j) * ldxi + tx], y);
          for (int a = 0; a < 4; a++) s[(a * 6 + j) * tw + tx] = y[a];
        }
      }
      for (int a = 0; a < 4; a++) {
        const float *restrict sa = s + (size_t)a * 6 * tw;
        float *restrict yr = yrows + (size_t)a * 4 * tw;
        for (int tx = 0; tx < tw; tx++) {
          float y[4];
          at6(sa[tx], sa[tw + tx], sa[2 * tw + tx], sa[3 * tw + tx], sa[4 * tw + tx], sa[5 * tw + tx], y);
          for (int k = 0; k < 4; k++) yr[4 * tx + k] = y[k] + b;
        }
        if (4 * ty + a < Ho) memcpy(plane + (size_t)(4 * ty + a) * Wo, yr, sizeof(float) * Wo);
      }
    }
  }
}

// Output-gradient tiles for the weight gradient: D = A dY A^T of the 4x4 tiles of
// gout[O][Ho][Wo] (zeros past the edge). scratch: 4 (4 tw) + 24 tw floats.
INL void gout_tiles4_body(const float *gout, int O, int Ho, int Wo, int ty0, int ty1, int tw, float *restrict D,
                          long ldxi, long ldt, float *restrict scratch) {
  const int len = 4 * tw;
  float *restrict rows = scratch, *restrict h = scratch + 4 * len;
  for (int o = 0; o < O; o++) {
    const float *plane = gout + (size_t)o * Ho * Wo;
    for (int ty = ty0; ty < ty1; ty++) {
      for (int a = 0; a < 4; a++) {
        padded_row4(plane, Ho, Wo, 4 * ty + a, 0, rows + a * len, len);
        const float *restrict p = rows + a * len;
        float *restrict ha = h + (size_t)a * 6 * tw;
        for (int tx = 0; tx < tw; tx++) {  // dY A^T: each row to six values
          float d[6];
          a6(p[4 * tx], p[4 * tx + 1], p[4 * tx + 2], p[4 * tx + 3], d);
          for (int j = 0; j < 6; j++) ha[j * tw + tx] = d[j];
        }
      }
      float *restrict dst = D + (size_t)o * ldt + (size_t)(ty - ty0) * tw;
      for (int j = 0; j < 6; j++) {  // then A down the columns
        const float *restrict c0 = h + j * tw, *restrict c1 = h + (6 + j) * tw, *restrict c2 = h + (12 + j) * tw,
                            *restrict c3 = h + (18 + j) * tw;
        for (int tx = 0; tx < tw; tx++) {
          float d[6];
          a6(c0[tx], c1[tx], c2[tx], c3[tx], d);
          for (int i = 0; i < 6; i++) dst[(6 * i + j) * ldxi + tx] = d[i];
        }
      }
    }
  }
}

#define VARIANTS4(ATTR, SUFFIX)                                                                                    \
  ATTR static void input_tiles4_##SUFFIX(const float *x, int C, int H, int W, int pad, int ty0, int ty1, int tw,    \
                                         float *V, long ldxi, long ldt, float *s) {                                 \
    input_tiles4_body(x, C, H, W, pad, ty0, ty1, tw, V, ldxi, ldt, s);                                             \
  }                                                                                                                \
  ATTR static void output_tiles4_##SUFFIX(const float *M, long ldxi, long ldt, int O, int Ho, int Wo, int ty0,      \
                                          int ty1, int tw, const float *bias, float *out, float *s) {               \
    output_tiles4_body(M, ldxi, ldt, O, Ho, Wo, ty0, ty1, tw, bias, out, s);                                       \
  }                                                                                                                \
  ATTR static void gout_tiles4_##SUFFIX(const float *g, int O, int Ho, int Wo, int ty0, int ty1, int tw, float *D,  \
                                        long ldxi, long ldt, float *s) {                                            \
    gout_tiles4_body(g, O, Ho, Wo, ty0, ty1, tw, D, ldxi, ldt, s);                                                 \
  }

#if defined(__x86_64__)
VARIANTS4(__attribute__((target("avx2,fma,avx512f,avx512vl"))), avx512)
VARIANTS4(__attribute__((target("avx2,fma"))), avx2)
#endif
VARIANTS4(, plain)

void lm_wino4_input_tiles(const float *x, int C, int H, int W, int pad, int ty0, int ty1, int tw, float *V, long ldxi,
                          long ldt, float *scratch) {
  switch (lm_wino_isa_level()) {
#if defined(__x86_64__)
  case 2: input_tiles4_avx512(x, C, H, W, pad, ty0, ty1, tw, V, ldxi, ldt, scratch); return;
  case 1: input_tiles4_avx2(x, C, H, W, pad, ty0, ty1, tw, V, ldxi, ldt, scratch); return;
#endif
  default: input_tiles4_plain(x, C, H, W, pad, ty0, ty1, tw, V, ldxi, ldt, scratch);
  }
}

void lm_wino4_output_tiles(const float *M, long ldxi, long ldt, int O, int Ho, int Wo, int ty0, int ty1, int tw,
                           const float *bias, float *out, float *scratch) {
  switch (lm_wino_isa_level()) {
#if defined(__x86_64__)
  case 2: output_tiles4_avx512(M, ldxi, ldt, O, Ho, Wo, ty0, ty1, tw, bias, out, scratch); return;
  case 1: output_tiles4_avx2(M, ldxi, ldt, O, Ho, Wo, ty0, ty1, tw, bias, out, scratch); return;
#endif
  default: output_tiles4_plain(M, ldxi, ldt, O, Ho, Wo, ty0, ty1, tw, bias, out, scratch);
  }
}

void lm_wino4_gout_tiles(const float *gout, int O, int Ho, int Wo, int ty0, int ty1, int tw, float *D, long ldxi,
                         long ldt, float *scratch) {
  switch (lm_wino_isa_level()) {
#if defined(__x86_64__)
  case 2: gout_tiles4_avx512(gout, O, Ho, Wo, ty0, ty1, tw, D, ldxi, ldt, scratch); return;
  case 1: gout_tiles4_avx2(gout, O, Ho, Wo, ty0, ty1, tw, D, ldxi, ldt, scratch); return;
#endif
  default: gout_tiles4_plain(gout, O, Ho, Wo, ty0, ty1, tw, D, ldxi, ldt, scratch);
  }
}
