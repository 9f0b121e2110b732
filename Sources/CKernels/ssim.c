// Mean SSIM over the interior of one plane pair: separable window filtering of the four
// moment maps (x, y, x² + y², xy of the inputs shifted by `shift`), then the SSIM formula,
// averaged over rows r..h-r-1 and columns r..w-r-1 (scikit-image crops that border).
// One body, compiled twice: AVX2/FMA (chosen at run time) and baseline x86-64.
#include "CKernels.h"

#include <string.h>

typedef float v8s __attribute__((vector_size(32), aligned(4)));

#define SSIM_BODY                                                                                  \
  const int taps = 2 * r + 1;                                                                      \
  float *vx = scratch, *vy = scratch + w, *vq = scratch + 2 * w, *vxy = scratch + 3 * w;           \
  const v8s sh = {shift, shift, shift, shift, shift, shift, shift, shift};                         \
  double total = 0;                                                                                \
  for (int i = r; i < h - r; i++) {                                                                \
    int j = 0;                                                                                     \
    for (; j + 8 <= w; j += 8) {                                                                   \
      v8s sx = {0}, sy = {0}, sq = {0}, sxy = {0};                                                 \
      for (int t = 0; t < taps; t++) {                                                             \
        v8s a, b;                                                                                  \
        memcpy(&a, x + (size_t)(i - r + t) * w + j, 32);                                           \
        memcpy(&b, y + (size_t)(i - r + t) * w + j, 32);                                           \
        a -= sh;                                                                                   \
        b -= sh;                                                                                   \
        const float wt = weights[t];                                                               \
        const v8s wa = a * wt, wb = b * wt;                                                        \
        sx += wa;                                                                                  \
        sy += wb;                                                                                  \
        sq += wa * a + wb * b;                                                                     \
        sxy += wa * b;                                                                             \
      }                                                                                            \
      memcpy(vx + j, &sx, 32);                                                                     \
      memcpy(vy + j, &sy, 32);                                                                     \
      memcpy(vq + j, &sq, 32);                                                                     \
      memcpy(vxy + j, &sxy, 32);                                                                   \
    }                                                                                              \
    for (; j < w; j++) {                                                                           \
      float sx = 0, sy = 0, sq = 0, sxy = 0;                                                       \
      for (int t = 0; t < taps; t++) {                                                             \
        const float a = x[(size_t)(i - r + t) * w + j] - shift, b = y[(size_t)(i - r + t) * w + j] - shift; \
        const float wa = weights[t] * a, wb = weights[t] * b;                                      \
        sx += wa;                                                                                  \
        sy += wb;                                                                                  \
        sq += wa * a + wb * b;                                                                     \
        sxy += wa * b;                                                                             \
      }                                                                                            \
      vx[j] = sx;                                                                                  \
      vy[j] = sy;                                                                                  \
      vq[j] = sq;                                                                                  \
      vxy[j] = sxy;                                                                                \
    }                                                                                              \
    /* Horizontal pass; the window is symmetric: w_t (v[j-t] + v[j+t]) halves the multiplies. */  \
    v8s acc = {0};                                                                                 \
    int k = r;                                                                                     \
    for (; k + 8 <= w - r; k += 8) {                                                               \
      v8s mx, my, mq, mxy;                                                                         \
      memcpy(&mx, vx + k, 32);                                                                     \
      memcpy(&my, vy + k, 32);                                                                     \
      memcpy(&mq, vq + k, 32);                                                                     \
      memcpy(&mxy, vxy + k, 32);                                                                   \
      const float wc = weights[r];                                                                 \
      mx *= wc;                                                                                    \
      my *= wc;                                                                                    \
      mq *= wc;                                                                                    \
      mxy *= wc;                                                                                   \
      for (int t = 1; t <= r; t++) {                                                               \
        const float wt = weights[r - t];                                                           \
        v8s l, u;                                                                                  \
        memcpy(&l, vx + k - t, 32); memcpy(&u, vx + k + t, 32); mx += (l + u) * wt;                \
        memcpy(&l, vy + k - t, 32); memcpy(&u, vy + k + t, 32); my += (l + u) * wt;                \
        memcpy(&l, vq + k - t, 32); memcpy(&u, vq + k + t, 32); mq += (l + u) * wt;                \
        memcpy(&l, vxy + k - t, 32); memcpy(&u, vxy + k + t, 32); mxy += (l + u) * wt;             \
      }                                                                                            \
      const v8s var_sum = (mq - mx * mx - my * my) * cov_norm, cov_xy = (mxy - mx * my) * cov_norm; \
      const v8s ux = mx + sh, uy = my + sh;                                                        \
      const v8s num = (2 * ux * uy + c1) * (2 * cov_xy + c2);                                      \
      const v8s den = (ux * ux + uy * uy + c1) * (var_sum + c2);                                   \
      acc += num / den;                                                                            \
    }                                                                                              \
    float s = 0;                                                                                   \
    float lanes[8];                                                                                \
    memcpy(lanes, &acc, 32);                                                                       \
    for (int l = 0; l < 8; l++) s += lanes[l];                                                     \
    for (; k < w - r; k++) {                                                                       \
      float mx = 0, my = 0, mq = 0, mxy = 0;                                                       \
      for (int t = 0; t < taps; t++) {                                                             \
        const int q = k - r + t;                                                                   \
        mx += weights[t] * vx[q];                                                                  \
        my += weights[t] * vy[q];                                                                  \
        mq += weights[t] * vq[q];                                                                  \
        mxy += weights[t] * vxy[q];                                                                \
      }                                                                                            \
      const float var_sum = cov_norm * (mq - mx * mx - my * my), cov_xy = cov_norm * (mxy - mx * my); \
      const float ux = mx + shift, uy = my + shift;                                                \
      s += (2 * ux * uy + c1) * (2 * cov_xy + c2) / ((ux * ux + uy * uy + c1) * (var_sum + c2));   \
    }                                                                                              \
    total += s;                                                                                    \
  }                                                                                                \
  return total / ((double)(h - 2 * r) * (double)(w - 2 * r));

__attribute__((target("avx2,fma"))) static double ssim_avx2(const float *x, const float *y, int h, int w,
                                                             const float *weights, int r, float cov_norm,
                                                             float c1, float c2, float shift, float *scratch) {
  SSIM_BODY
}

static double ssim_baseline(const float *x, const float *y, int h, int w, const float *weights, int r,
                            float cov_norm, float c1, float c2, float shift, float *scratch) {
  SSIM_BODY
}

double lm_ssim_plane_mean(const float *x, const float *y, int h, int w, const float *weights, int radius,
                          float cov_norm, float c1, float c2, float shift, float *scratch) {
  static int fast = -1;
  if (fast < 0) fast = lm_direct_conv_available();
  return fast ? ssim_avx2(x, y, h, w, weights, radius, cov_norm, c1, c2, shift, scratch)
              : ssim_baseline(x, y, h, w, weights, radius, cov_norm, c1, c2, shift, scratch);
}
