// Hand-vectorized C kernels (AVX2/FMA variants chosen at run time): direct 3x3 convolution
// for small channel counts, where im2col + sgemm is bound by copying; the SSIM plane filter.
#ifndef LANDMARKLAB_CKERNELS_H
#define LANDMARKLAB_CKERNELS_H

#include <stddef.h>

/// 1 when this CPU has AVX2 and FMA (the direct kernels need them), else 0.
int lm_direct_conv_available(void);

/// One image: out[O][H][W] = sum_c sum_ky,kx w[o][c][ky][kx] * x[c][y+ky-1][x+kx-1] (zero
/// padding) + bias[o] (bias may be NULL), overwriting out. Needs lm_direct_conv_available().
void lm_conv3x3_forward(const float *x, const float *w, const float *bias, float *out, int C, int O, int H, int W);

/// One image, the input gradient of that conv: gx[C][H][W] = sum_o sum_ky,kx w[o][c][ky][kx] *
/// gout[o][y-ky+1][x-kx+1] (zero outside), overwriting gx. Needs lm_direct_conv_available().
void lm_conv3x3_input_grad(const float *gout, const float *w, float *gx, int C, int O, int H, int W);

/// One image: gw[O][C][3][3] += sum over pixels of gout[o][y][x] * x[c][y+ky-1][x+kx-1].
void lm_conv3x3_weight_grad(const float *x, const float *gout, float *gw, int C, int O, int H, int W);

/// im2col from padded (phase) images as runs: for r < rows and j < nruns,
/// dst[r * ldc + run_dst[j] ..< + run_len[j]] = src[row_src[r] + run_src[j] ..< + run_len[j]].
/// Runs of a row must be in increasing dst order and contiguous: the copies move whole
/// 8-float vectors, so they may read up to 7 floats past a run's source and write up to 7
/// past its end (the next run or row overwrites them); both buffers need 8 floats of slack.
void lm_copy_runs(const float *src, const long *row_src, int rows, const long *run_src, const long *run_dst,
                  const int *run_len, int nruns, float *dst, long ldc);

/// Tests: 0 forces the AVX2-only variants even on AVX-512 machines (default 1).
void lm_conv_allow_avx512(int allow);

/// The value lm_conv_allow_avx512 last set (other kernels follow it too).
int lm_conv_avx512_allowed(void);

/// Mean SSIM over the interior (a `radius`-pixel border cropped) of one [h, w] plane pair:
/// window `weights` (2·radius + 1 taps, symmetric, normalised), moments of x − shift and
/// y − shift, (co)variances scaled by `cov_norm`. `scratch` holds 4·w floats.
double lm_ssim_plane_mean(const float *x, const float *y, int h, int w, const float *weights, int radius,
                          float cov_norm, float c1, float c2, float shift, float *scratch);

/// glibc: serve large blocks from the heap and never trim it, so freed tensor memory is
/// reused instead of being unmapped and page-faulted in again on the next step.
void lm_keep_freed_memory(void);

#include "winograd.h"

#endif
