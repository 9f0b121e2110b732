// Direct 3x3 stride-1 pad-1 convolution on one image, AVX2/FMA (8-float vectors).
//
// Forward: the input is copied into a zero-padded buffer xp[H+2][C][Wp] (Wp a multiple of 8
// plus room for the 2-column halo), the weights into wt[block][c][ky][kx][width]; each
// register block holds 6 (or 4) output channels x 2 vectors of 8 pixels, so every input
// vector loaded feeds 6 FMAs and every broadcast weight 2.
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
// row so 8-wide loads of the last block never leave the buffer). Channel c's row y starts at
// c * cstride + y * ystride: planes (cstride = (H + 3) * Wp, ystride = Wp) or rows of all
// channels together (cstride = Wp, ystride = C * Wp).
static float *pad_input_strided(const float *x, int C, int H, int W, int Wp, size_t cstride, size_t ystride) {
  float *xp = calloc((size_t)C * (H + 3) * Wp, sizeof(float));
  if (!xp) return NULL;
  for (int c = 0; c < C; c++)
    for (int y = 0; y < H; y++)
      memcpy(xp + c * cstride + (size_t)(y + 1) * ystride + 1, x + ((size_t)c * H + y) * W, sizeof(float) * W);
  return xp;
}

static float *pad_input(const float *x, int C, int H, int W, int Wp) {
  return pad_input_strided(x, C, H, W, Wp, (size_t)(H + 3) * Wp, Wp);
}

// One block of NB output channels (NB x 2 vectors of accumulators, starting at the bias) over
// the whole image; `wb` holds the block's packed weights wb[c][tap][NB], `nvalid` <= NB of its
// channels are written. NB is a compile-time constant so the accumulators stay in registers.
#define FWD_BLOCK(NB)                                                                                  \
  __attribute__((target("avx2,fma"))) static void fwd_block##NB(const float *xp, size_t cs, size_t ys,      \
                                                                const float *wb, const float *bv,          \
                                                                float *out, int C, int H, int W,           \
                                                                int nvalid) {                              \
    float tmp[NB * 16];                                                                                    \
    for (int y = 0; y < H; y++) {                                                                          \
      for (int x0 = 0; x0 < W; x0 += 16) {                                                                 \
        v8 a[NB][2];                                                                                       \
        _Pragma("clang loop unroll(full)") for (int j = 0; j < NB; j++) {                                  \
          const v8 b = {bv[j], bv[j], bv[j], bv[j], bv[j], bv[j], bv[j], bv[j]};                           \
          a[j][0] = b;                                                                                     \
          a[j][1] = b;                                                                                     \
        }                                                                                                  \
        for (int c = 0; c < C; c++) {                                                                      \
          const float *rows = xp + c * cs + (size_t)y * ys + x0;                                           \
          const float *wc = wb + (size_t)c * 9 * NB;                                                       \
          for (int ky = 0; ky < 3; ky++) {                                                                 \
            const float *r = rows + (size_t)ky * ys;                                                       \
            _Pragma("clang loop unroll(full)") for (int kx = 0; kx < 3; kx++) {                            \
              v8 v0, v1;                                                                                   \
              memcpy(&v0, r + kx, 32);                                                                     \
              memcpy(&v1, r + kx + 8, 32);                                                                 \
              const float *wk = wc + (ky * 3 + kx) * NB;                                                   \
              _Pragma("clang loop unroll(full)") for (int j = 0; j < NB; j++) {                            \
                const v8 b = {wk[j], wk[j], wk[j], wk[j], wk[j], wk[j], wk[j], wk[j]};                     \
                a[j][0] += v0 * b;                                                                         \
                a[j][1] += v1 * b;                                                                         \
              }                                                                                            \
            }                                                                                              \
          }                                                                                                \
        }                                                                                                  \
        _Pragma("clang loop unroll(full)") for (int j = 0; j < NB; j++) {                                  \
          memcpy(tmp + j * 16, &a[j][0], 32);                                                              \
          memcpy(tmp + j * 16 + 8, &a[j][1], 32);                                                          \
        }                                                                                                  \
        const int n = W - x0 < 16 ? W - x0 : 16;                                                           \
        for (int j = 0; j < nvalid; j++) memcpy(out + ((size_t)j * H + y) * W + x0, tmp + j * 16, sizeof(float) * n); \
      }                                                                                                    \
    }                                                                                                      \
  }

FWD_BLOCK(6)
FWD_BLOCK(4)

// Output channels go in blocks of OB = 6 (12 accumulators: every input vector loaded feeds 6
// FMAs); remainders go in blocks of 4 so that few lanes are wasted: 32 = 6·4 + 4·2 and
// 64 = 6·10 + 4. Returns the block count; widths[b] is block b's width (at most O/6 + 2 blocks).
static int channel_blocks(int O, int *widths) {
  int n6 = O / OB, r = O % OB, nb = 0;
  int fours = r == 0 ? 0 : r <= 4 ? 1 : 0;
  if (r == 5) n6 += 1;                       // one 6-block, one lane wasted
  if (r == 2 && n6 > 0) { n6 -= 1; fours = 2; }  // 6 + 2 -> 4 + 4
  for (int b = 0; b < n6; b++) widths[nb++] = OB;
  for (int b = 0; b < fours; b++) widths[nb++] = 4;
  return nb;
}

static void conv3x3_forward(const float *x, const float *w, const float *bias, float *out, int C, int O, int H,
                            int W, int transposed) {
  const int W8 = round8(W);
  const int Wp = W8 + 8 + 2;  // halo + one extra vector so pairs of blocks stay inside
  // Rows of all channels together: the channel loop then walks memory at one constant
  // stride, which the prefetchers follow (planes put each channel's rows a plane apart).
  // (Measured on ref-64's shapes: 2-6% faster than planes.)
  const size_t cs = (size_t)Wp;
  const size_t ys = (size_t)C * Wp;
  float *xp = pad_input_strided(x, C, H, W, Wp, cs, ys);
  int *widths = malloc(sizeof(int) * (O / OB + 2));
  const int nb = channel_blocks(O, widths);
  float *wt = calloc((size_t)(O + OB) * C * 9, sizeof(float));
  if (!xp || !wt || !widths) abort();
  for (int b = 0, o0 = 0; b < nb; o0 += widths[b], b++) {
    const int bw = widths[b];
    const int valid = O - o0 < bw ? O - o0 : bw;
    float *wb = wt + (size_t)o0 * C * 9;  // wb[c][tap][bw]
    for (int j = 0; j < valid; j++)
      for (int c = 0; c < C; c++)
        for (int t = 0; t < 9; t++)
          wb[((size_t)c * 9 + t) * bw + j] =
              transposed ? w[((size_t)c * O + o0 + j) * 9 + 8 - t] : w[((size_t)(o0 + j) * C + c) * 9 + t];
    float bv[OB] = {0};
    for (int j = 0; j < valid && bias; j++) bv[j] = bias[o0 + j];
    float *ob = out + (size_t)o0 * H * W;
    if (bw == OB) fwd_block6(xp, cs, ys, wb, bv, ob, C, H, W, valid);
    else fwd_block4(xp, cs, ys, wb, bv, ob, C, H, W, valid);
  }
  free(widths);
  free(wt);
  free(xp);
}

void lm_conv3x3_forward(const float *x, const float *w, const float *bias, float *out, int C, int O, int H, int W) {
  conv3x3_forward(x, w, bias, out, C, O, H, W, 0);
}

void lm_conv3x3_input_grad(const float *gout, const float *w, float *gx, int C, int O, int H, int W) {
  // The input gradient of x[C] -> out[O] is a forward conv of gout[O] -> gx[C] with the
  // kernel transposed and rotated by 180 degrees, read straight from w[O][C][3][3].
  conv3x3_forward(gout, w, NULL, gx, O, C, H, W, 1);
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

int lm_conv_avx512_allowed(void) { return allow_avx512; }

void lm_conv3x3_weight_grad(const float *x, const float *gout, float *gw, int C, int O, int H, int W) {
  static int wide = -1;
  if (wide < 0) wide = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
  if (wide && allow_avx512) wgrad_avx512(x, gout, gw, C, O, H, W);
  else wgrad_avx2(x, gout, gw, C, O, H, W);
}
