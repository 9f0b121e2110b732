// Direct 3x3 stride-1 pad-1 convolution on one image, AVX2/FMA (8-float vectors).
//
// Forward: the input is copied into a zero-padded buffer xp[C][H+2][Wp] (Wp a multiple of 8
// plus room for the 2-column halo), the weights into wt[ob][c][ky][kx][OB]; each register
// block holds OB=6 output channels x 2 vectors of 8 pixels (12 accumulators), so every
// input vector loaded feeds 6 FMAs and every broadcast weight 2.
// Weight gradient: per (c, ky) and block of 3 output channels, 3 kx taps x 3 channels = 9
// vector accumulators summed over all pixels, reduced across lanes at the end.
#include "CKernels.h"

#include <stdlib.h>
#include <string.h>

typedef float v8 __attribute__((vector_size(32), aligned(4)));

#define OB 6
#define GB 3

int lm_direct_conv_available(void) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return 0;
#endif
}

static inline int round8(int n) { return (n + 7) & ~7; }

// Zero-padded copy: xp[c][y + 1][x + 1] = x[c][y][x]; rows of Wp floats, H + 2 rows (+1 spare
// row so 8-wide loads of the last block never leave the buffer).
static float *pad_input(const float *x, int C, int H, int W, int Wp) {
  size_t plane = (size_t)(H + 3) * Wp;
  float *xp = calloc((size_t)C * plane, sizeof(float));
  if (!xp) return NULL;
  for (int c = 0; c < C; c++)
    for (int y = 0; y < H; y++)
      memcpy(xp + c * plane + (size_t)(y + 1) * Wp + 1, x + ((size_t)c * H + y) * W, sizeof(float) * W);
  return xp;
}

__attribute__((target("avx2,fma"))) void lm_conv3x3_forward(const float *x, const float *w, float *out, int C,
                                                             int O, int H, int W) {
  const int W8 = round8(W);
  const int Wp = W8 + 8 + 2;  // halo + one extra vector so pairs of blocks stay inside
  const size_t plane = (size_t)(H + 3) * Wp;
  float *xp = pad_input(x, C, H, W, Wp);
  const int nob = (O + OB - 1) / OB;
  float *wt = calloc((size_t)nob * C * 9 * OB, sizeof(float));
  float *tmp = malloc(sizeof(float) * OB * 16);
  if (!xp || !wt || !tmp) abort();
  for (int o = 0; o < O; o++)
    for (int c = 0; c < C; c++)
      for (int t = 0; t < 9; t++) wt[(((size_t)(o / OB) * C + c) * 9 + t) * OB + o % OB] = w[((size_t)o * C + c) * 9 + t];

  for (int ob = 0; ob < nob; ob++) {
    const float *wb = wt + (size_t)ob * C * 9 * OB;
    const int oc = O - ob * OB < OB ? O - ob * OB : OB;
    for (int y = 0; y < H; y++) {
      for (int x0 = 0; x0 < W; x0 += 16) {
        v8 a00 = {0}, a01 = {0}, a10 = {0}, a11 = {0}, a20 = {0}, a21 = {0};
        v8 a30 = {0}, a31 = {0}, a40 = {0}, a41 = {0}, a50 = {0}, a51 = {0};
        for (int c = 0; c < C; c++) {
          const float *rows = xp + c * plane + (size_t)y * Wp + x0;
          const float *wc = wb + (size_t)c * 9 * OB;
          for (int ky = 0; ky < 3; ky++) {
            const float *r = rows + (size_t)ky * Wp;
            for (int kx = 0; kx < 3; kx++) {
              v8 v0, v1;
              memcpy(&v0, r + kx, 32);
              memcpy(&v1, r + kx + 8, 32);
              const float *wk = wc + (ky * 3 + kx) * OB;
              v8 b;
              b = (v8){wk[0], wk[0], wk[0], wk[0], wk[0], wk[0], wk[0], wk[0]}; a00 += v0 * b; a01 += v1 * b;
              b = (v8){wk[1], wk[1], wk[1], wk[1], wk[1], wk[1], wk[1], wk[1]}; a10 += v0 * b; a11 += v1 * b;
              b = (v8){wk[2], wk[2], wk[2], wk[2], wk[2], wk[2], wk[2], wk[2]}; a20 += v0 * b; a21 += v1 * b;
              b = (v8){wk[3], wk[3], wk[3], wk[3], wk[3], wk[3], wk[3], wk[3]}; a30 += v0 * b; a31 += v1 * b;
              b = (v8){wk[4], wk[4], wk[4], wk[4], wk[4], wk[4], wk[4], wk[4]}; a40 += v0 * b; a41 += v1 * b;
              b = (v8){wk[5], wk[5], wk[5], wk[5], wk[5], wk[5], wk[5], wk[5]}; a50 += v0 * b; a51 += v1 * b;
            }
          }
        }
        memcpy(tmp + 0, &a00, 32); memcpy(tmp + 8, &a01, 32);
        memcpy(tmp + 16, &a10, 32); memcpy(tmp + 24, &a11, 32);
        memcpy(tmp + 32, &a20, 32); memcpy(tmp + 40, &a21, 32);
        memcpy(tmp + 48, &a30, 32); memcpy(tmp + 56, &a31, 32);
        memcpy(tmp + 64, &a40, 32); memcpy(tmp + 72, &a41, 32);
        memcpy(tmp + 80, &a50, 32); memcpy(tmp + 88, &a51, 32);
        const int n = W - x0 < 16 ? W - x0 : 16;
        for (int j = 0; j < oc; j++)
          memcpy(out + ((size_t)(ob * OB + j) * H + y) * W + x0, tmp + j * 16, sizeof(float) * n);
      }
    }
  }
  free(tmp);
  free(wt);
  free(xp);
}

// gout with each row zero-padded to W8 so the junk lanes contribute nothing.
static float *pad_gout(const float *gout, int O, int H, int W, int W8) {
  float *gp = calloc((size_t)O * H * W8, sizeof(float));
  if (!gp) return NULL;
  for (int o = 0; o < O; o++)
    for (int y = 0; y < H; y++)
      memcpy(gp + ((size_t)o * H + y) * W8, gout + ((size_t)o * H + y) * W, sizeof(float) * W);
  return gp;
}

static inline float hsum8(const float *v) {
  float t = 0;
  for (int l = 0; l < 8; l++) t += v[l];
  return t;
}

// The weight-gradient sweep for G output channels at once (G x 3 accumulators); G is a
// compile-time constant in each instantiation so the accumulators stay in registers.
// Rows are processed in blocks of WG_ROWS so the gout rows of a block stay in L1 while every
// (c, ky) pair sweeps them; partial sums live in `acc` between blocks (L2 bandwidth, not
// FMAs, bounds the unblocked sweep).
#define WG_ROWS 4
#define WGRAD_BODY(G)                                                                           \
  const int W8 = round8(W);                                                                     \
  const int Wp = W8 + 8 + 2;                                                                    \
  const size_t plane = (size_t)(H + 3) * Wp;                                                    \
  const int nob = (O + G - 1) / G;                                                              \
  float *xp = pad_input(x, C, H, W, Wp);                                                        \
  float *gp = pad_gout(gout, O, H, W, W8);                                                      \
  v8 *acc = aligned_alloc(32, sizeof(v8) * (size_t)C * 3 * nob * G * 3);                        \
  if (!xp || !gp || !acc) abort();                                                              \
  memset(acc, 0, sizeof(v8) * (size_t)C * 3 * nob * G * 3);                                     \
  for (int y0 = 0; y0 < H; y0 += WG_ROWS) {                                                     \
    const int y1 = y0 + WG_ROWS < H ? y0 + WG_ROWS : H;                                         \
    for (int c = 0; c < C; c++) {                                                               \
      for (int ky = 0; ky < 3; ky++) {                                                          \
        for (int ob = 0; ob < nob; ob++) {                                                      \
          const int o0 = ob * G;                                                                \
          const int oc = O - o0 < G ? O - o0 : G;                                               \
          const float *g[G];                                                                    \
          for (int j = 0; j < G; j++) g[j] = gp + (size_t)(o0 + (j < oc ? j : 0)) * H * W8;     \
          v8 *a = acc + (((size_t)c * 3 + ky) * nob + ob) * G * 3;                              \
          v8 s[G][3];                                                                           \
          for (int j = 0; j < G; j++) { s[j][0] = a[j * 3]; s[j][1] = a[j * 3 + 1]; s[j][2] = a[j * 3 + 2]; } \
          for (int y = y0; y < y1; y++) {                                                       \
            const float *r = xp + c * plane + (size_t)(y + ky) * Wp;                            \
            const size_t go = (size_t)y * W8;                                                   \
            for (int x0 = 0; x0 < W8; x0 += 8) {                                                \
              v8 v0, v1, v2;                                                                    \
              memcpy(&v0, r + x0, 32);                                                          \
              memcpy(&v1, r + x0 + 1, 32);                                                      \
              memcpy(&v2, r + x0 + 2, 32);                                                      \
              _Pragma("clang loop unroll(full)") for (int j = 0; j < G; j++) {                  \
                v8 q;                                                                           \
                memcpy(&q, g[j] + go + x0, 32);                                                 \
                s[j][0] += q * v0;                                                              \
                s[j][1] += q * v1;                                                              \
                s[j][2] += q * v2;                                                              \
              }                                                                                 \
            }                                                                                   \
          }                                                                                     \
          for (int j = 0; j < G; j++) { a[j * 3] = s[j][0]; a[j * 3 + 1] = s[j][1]; a[j * 3 + 2] = s[j][2]; } \
        }                                                                                       \
      }                                                                                         \
    }                                                                                           \
  }                                                                                             \
  for (int c = 0; c < C; c++)                                                                   \
    for (int ky = 0; ky < 3; ky++)                                                              \
      for (int ob = 0; ob < nob; ob++) {                                                        \
        const float *lanes = (const float *)(acc + (((size_t)c * 3 + ky) * nob + ob) * G * 3);  \
        for (int j = 0; j < G && ob * G + j < O; j++)                                           \
          for (int kx = 0; kx < 3; kx++)                                                        \
            gw[(((size_t)(ob * G + j) * C + c) * 3 + ky) * 3 + kx] += hsum8(lanes + (j * 3 + kx) * 8); \
      }                                                                                         \
  free(acc);                                                                                    \
  free(gp);                                                                                     \
  free(xp);

// 16 vector registers: 3 channels (9 accumulators).
__attribute__((target("avx2,fma"))) static void wgrad_avx2(const float *x, const float *gout, float *gw, int C,
                                                            int O, int H, int W) {
  WGRAD_BODY(3)
}

// 32 vector registers (AVX-512VL): 6 channels (18 accumulators), fewer loads per FMA.
__attribute__((target("avx2,fma,avx512f,avx512vl"))) static void wgrad_avx512(const float *x, const float *gout,
                                                                                float *gw, int C, int O, int H,
                                                                                int W) {
  WGRAD_BODY(6)
}

static int allow_avx512 = 1;

void lm_conv_allow_avx512(int allow) { allow_avx512 = allow; }

void lm_conv3x3_weight_grad(const float *x, const float *gout, float *gw, int C, int O, int H, int W) {
  static int wide = -1;
  if (wide < 0) wide = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
  if (wide && allow_avx512) wgrad_avx512(x, gout, gw, C, O, H, W);
  else wgrad_avx2(x, gout, gw, C, O, H, W);
}
