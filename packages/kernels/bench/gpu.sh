#!/usr/bin/env bash
# Runs bench/tensorflow-matmul-and-mlp.ts on @tensorflow/tfjs-node-gpu: the same MatMul 2048×2048
# and MLP training step, float32 vs bfloat16 vs float16, with the native kernels on the GPU.
# Not part of CI (no GPU there); run it by hand on a CUDA machine.
#
# Needs:
#   - Linux x86_64 with an NVIDIA GPU and its driver (nvidia-smi on PATH).
#   - CUDA 11.2 and cuDNN 8.1 libraries on the loader path: @tensorflow/tfjs-node-gpu 4.22
#     downloads libtensorflow 2.9.1 (GPU), which was built against them. CUDA 12/13 and cuDNN 9
#     alone do not load it. Compute capability 3.5–8.6 runs natively; newer GPUs (Hopper, 9.0)
#     only through the driver's PTX JIT, if at all.
#   - Node >= 20.11 and internet access for the install (npm registry, plus
#     storage.googleapis.com for the libtensorflow-gpu tarball the package's install script fetches).
#
# Usage (from anywhere):
#   packages/kernels/bench/gpu.sh --install          # first time: npm install tfjs-node-gpu (no-save)
#   packages/kernels/bench/gpu.sh [bench options]    # e.g. --size 4096 --rounds 11
#
# Prints: the GPU (name, driver, compute capability, memory); which kernels run natively in
# float16 and bfloat16 on this GPU (each TF op probed once; a missing one, e.g. bfloat16
# convolutions before compute capability 8.0, is listed as emulated with a notice); the two
# tables (median ms, p10–p90, ratio to float32); the machine line with `gpu` as the device.
# Writes bench/results/tensorflow-matmul-and-mlp-gpu.json.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
package_dir="$(dirname "$here")"
repo_root="$(cd "$package_dir/../.." && pwd)"

if ! command -v nvidia-smi > /dev/null; then
  echo "gpu.sh: nvidia-smi not found; this benchmark needs an NVIDIA GPU with its driver." >&2
  exit 2
fi
nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader

if [[ "${1:-}" == "--install" ]]; then
  shift
  # The repo's .npmrc sets ignore-scripts=true; tfjs-node-gpu's install script must run to fetch
  # libtensorflow (GPU) and its prebuilt addon. --no-save leaves package.json and the lockfile alone.
  (cd "$repo_root" && npm install --no-save --ignore-scripts=false @tensorflow/tfjs-node-gpu@4.22.0)
fi

if ! (cd "$repo_root" && node -e "require('@tensorflow/tfjs-node-gpu')" > /dev/null 2>&1); then
  echo "gpu.sh: @tensorflow/tfjs-node-gpu does not load. Run 'gpu.sh --install' first, and check that" >&2
  echo "        the CUDA 11.2 / cuDNN 8.1 libraries are on LD_LIBRARY_PATH:" >&2
  (cd "$repo_root" && node -e "require('@tensorflow/tfjs-node-gpu')" 2>&1 | tail -5) >&2 || true
  exit 2
fi

cd "$package_dir"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export TFJS_NODE_PACKAGE=@tensorflow/tfjs-node-gpu
exec npx tsx --conditions=@tfjs-amp/source bench/tensorflow-matmul-and-mlp.ts \
  --out tensorflow-matmul-and-mlp-gpu.json "$@"
