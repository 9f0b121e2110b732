#!/usr/bin/env bash
# decoder_variants.sh — the decoder table of issue "Decoded video that looks like video": the demo's
# recipe (Experiments/landmarks-learn.yaml, dynamics-demo.yaml) trained once per decoder variant,
# each in its own registry and output folder, ending with each demo's headline (keypoint accuracy,
# live landmarks, the reconstruction bound, the LSTM and copy-last at horizons 10 / 28 on PSNR, SSIM,
# LPIPS and effnet-lite0-dist). Run from the checkout after `make build`:
#
#   Experiments/tools/decoder_variants.sh OUT [VARIANT...]     (default: every variant below)
#
# Variants (landmark-config overrides, each setting all four decoder keys so the table does not
# depend on what landmarks-learn.yaml ships; the dynamics and frame stages are the demo's):
#   mse        pixel MSE only, no skip (the report's model; the demo's recipe before this table)
#   perc       + perceptual term over ImageNet EfficientNet-Lite0 features (weight 1 beside MSE 1)
#   skip       + reference-frame skip (decoder_skip: reference)
#   both       perc + skip
#   both-l01   both with the perceptual term at weight 0.1
#   both-gan   both + LSGAN at weight 0.1
#   pose-l01   both-l01 with the reference's own landmark heatmaps beside its image (reference-pose;
#              the demo's recipe as shipped)
#   pose-gan   pose-l01 + LSGAN at weight 0.1 with a discriminator of width 16 (ndf 64 costs five
#              demo steps per step)
#   pose-gan1  pose-gan at the reference's GAN weight 1
#   pose-gan001 pose-gan at GAN weight 0.01
set -euo pipefail
out=${1:?usage: decoder_variants.sh OUT [VARIANT...]}
shift || true
lmlab=${LMLAB:-.build/release/lmlab}
declare -A sets=(
  [mse]="use_vgg=false decoder_skip=none"
  [perc]="use_vgg=true perceptual_net=effnet-lite0 vgg_lambda=1 decoder_skip=none"
  [skip]="use_vgg=false decoder_skip=reference"
  [both]="use_vgg=true perceptual_net=effnet-lite0 vgg_lambda=1 decoder_skip=reference"
  [both-l01]="use_vgg=true perceptual_net=effnet-lite0 vgg_lambda=0.1 decoder_skip=reference"
  [pose-l01]="use_vgg=true perceptual_net=effnet-lite0 vgg_lambda=0.1 decoder_skip=reference-pose"
  [pose-gan]="use_vgg=true perceptual_net=effnet-lite0 vgg_lambda=0.1 decoder_skip=reference-pose use_gan=true gan_lambda=0.1 ndf=16"
  [pose-gan1]="use_vgg=true perceptual_net=effnet-lite0 vgg_lambda=0.1 decoder_skip=reference-pose use_gan=true gan_lambda=1 ndf=16"
  [pose-gan001]="use_vgg=true perceptual_net=effnet-lite0 vgg_lambda=0.1 decoder_skip=reference-pose use_gan=true gan_lambda=0.01 ndf=16"
  [both-gan]="use_vgg=true perceptual_net=effnet-lite0 vgg_lambda=1 decoder_skip=reference use_gan=true gan_lambda=0.1"
)
variants=("$@")
[ ${#variants[@]} -eq 0 ] && variants=(mse perc skip both both-l01 pose-l01 both-gan)
for v in "${variants[@]}"; do
  [ -n "${sets[$v]+x}" ] || { echo "unknown variant $v (${!sets[*]})" >&2; exit 2; }
  dir="$out/$v"
  mkdir -p "$dir"
  args=()
  for kv in ${sets[$v]}; do args+=(--set "$kv"); done
  echo "== $v: ${sets[$v]}"
  # Each variant's runs go to its own folder (save_path) beside its own registry.
  "$lmlab" demo --registry "$dir/lmlab.sqlite" --out "$dir/report" --set save_path="$dir/runs" \
    --dyn-set save_path="$dir/runs" "${args[@]}" > "$dir/demo.log" 2>&1 || { echo "$v failed: see $dir/demo.log"; continue; }
  sed -n '/^demo: landmarks run/,/rollout: /p' "$dir/demo.log"
done
