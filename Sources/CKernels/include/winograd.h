// Winograd F(2x2, 3x3) transforms for 3x3 stride-1 convolutions (winograd.c). Transformed
// tiles live in [xi][channel][tile] buffers: element xi (0..<16) of channel ch, tile t at
// buf[xi * ldxi + ch * ldt + t]. Tiles are the (ty, tx) 2x2 output blocks of one image, tx
// fastest, tw = ceil(Wo / 2) per tile row; calls cover tile rows [ty0, ty1) and write tiles
// (ty - ty0) * tw + tx.
#ifndef LANDMARKLAB_WINOGRAD_H
#define LANDMARKLAB_WINOGRAD_H

/// U[xi][o][c] = (G w[o][c] G^T)[xi] for weights w[O][C][3][3] (U's ldt is C).
void lm_wino_filter_transform(const float *w, int O, int C, float *U, long ldxi);

/// gw[o][c] += G^T dU[.][o][c] G: the weight gradient from the gradient of U (same layout).
void lm_wino_filter_grad(const float *dU, long ldxi, int O, int C, float *gw);

/// V = B^T d B of the 4x4 input tiles of one image x[C][H][W] with zero padding `pad` (tile
/// (ty, tx) reads rows 2ty - pad ..< + 4, columns 2tx - pad ..< + 4). scratch: 8 tw + 8 floats.
void lm_wino_input_tiles(const float *x, int C, int H, int W, int pad, int ty0, int ty1, int tw, float *V, long ldxi,
                         long ldt, float *scratch);

/// out[o][2ty + a][2tx + b] = (A^T M A)[a][b] + bias[o] (bias may be NULL) for the rows and
/// columns inside Ho x Wo, overwriting them. scratch: 4 tw floats.
void lm_wino_output_tiles(const float *M, long ldxi, long ldt, int O, int Ho, int Wo, int ty0, int ty1, int tw,
                          const float *bias, float *out, float *scratch);

/// D = A dY A^T of the 2x2 tiles of gout[O][Ho][Wo] (zeros past its edge): the gradient of M,
/// for the weight gradient. scratch: 4 tw floats.
void lm_wino_gout_tiles(const float *gout, int O, int Ho, int Wo, int ty0, int ty1, int tw, float *D, long ldxi,
                        long ldt, float *scratch);

/// The transforms' instruction set: 2 AVX-512, 1 AVX2/FMA, 0 plain (lm_conv_allow_avx512(0)
/// drops 2 to 1); winograd.c and winograd4.c both follow it.
int lm_wino_isa_level(void);

// Winograd F(4x4, 3x3) (winograd4.c): the same calls and layouts with 6x6 tiles, 36 planes
// (xi = 6i + j), 4x4 output blocks, tw = ceil(Wo / 4); tile (ty, tx) reads rows 4ty - pad ..< + 6.
// scratch: 64 tw + 16 floats for each of the three tile calls.
void lm_wino4_filter_transform(const float *w, int O, int C, float *U, long ldxi);
void lm_wino4_filter_grad(const float *dU, long ldxi, int O, int C, float *gw);
void lm_wino4_input_tiles(const float *x, int C, int H, int W, int pad, int ty0, int ty1, int tw, float *V, long ldxi,
                          long ldt, float *scratch);
void lm_wino4_output_tiles(const float *M, long ldxi, long ldt, int O, int Ho, int Wo, int ty0, int ty1, int tw,
                           const float *bias, float *out, float *scratch);
void lm_wino4_gout_tiles(const float *gout, int O, int Ho, int Wo, int ty0, int ty1, int tw, float *D, long ldxi,
                         long ldt, float *scratch);

#endif
