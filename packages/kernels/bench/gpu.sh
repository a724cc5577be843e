#!/usr/bin/env bash
# Mixed precision on an NVIDIA GPU with tfjs-node-gpu: provisions tfjs-node-gpu's binding and
# the CUDA 12 runtime from PyPI wheels (tools/provision-tfjs-node), then runs
# bench/tensorflow-gpu.ts: MatMul 4096×4096 and the W1 (MLP 784-1024-1024-10, batch 256) and W4
# (MLP 1024-4096-4096-10, batch 512) training steps under float32 (TF32 allowed), mixed_float16
# and mixed_bfloat16, and writes bench/results/tensorflow-gpu.json.
#
# Needs: Linux x86_64 with glibc 2.27+, an NVIDIA GPU and its driver, nvidia-smi on PATH, Node
# 20.11+, python3 with pip, g++ and make, and access to the npm registry and PyPI for the first run
# (3.2 GiB of wheels, cached under ~/.cache/tfjs-amp; 6 GB of disk once extracted).
# TF 2.21's CUDA build (CUDA 12.5.1, cuDNN 9) carries machine code for sm_60, sm_70, sm_80 and
# sm_89 and PTX for compute_90: Pascal to Ada run natively; Hopper (H100/H200) and Blackwell
# JIT-compile the PTX at first use (minutes, once; cached in ~/.nv/ComputeCache, so set
# CUDA_CACHE_MAXSIZE=4294967296). Driver: 555 or newer (JIT of CUDA 12.5 PTX); 575+ matches the
# CUDA 12.9 runtime libraries installed.
#
# Usage (from anywhere):
#   packages/kernels/bench/gpu.sh                   # full run, ~2-5 min after the first provision
#   packages/kernels/bench/gpu.sh --rounds 20       # options go to tensorflow-gpu.ts
#   packages/kernels/bench/gpu.sh --cpu-smoke       # no GPU: checks the pipeline on TF's CPU fallback
#                                                   # (small shapes; writes tensorflow-gpu-cpu-smoke.json)
# Environment: TF_CPP_MIN_LOG_LEVEL (default 2; 0 shows why TF skips a GPU), TFJS_AMP_NATIVE
# (native dispatch mode, default auto: on a GPU every kernel that keeps float32 accumulation).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
package_dir="$(dirname "$here")"
repo_root="$(cd "$package_dir/../.." && pwd)"

smoke=0
for arg in "$@"; do
  [[ "$arg" == "--cpu-smoke" ]] && smoke=1
done

if [[ "$(uname -sm)" != "Linux x86_64" ]]; then
  echo "gpu.sh: needs Linux x86_64 (TF's CUDA wheel); this is $(uname -sm)." >&2
  exit 2
fi
if [[ $smoke == 0 ]]; then
  if ! command -v nvidia-smi > /dev/null; then
    echo "gpu.sh: nvidia-smi not found: this benchmark needs an NVIDIA GPU and its driver" >&2
    echo "        (or pass --cpu-smoke to check the script on the CPU)." >&2
    exit 2
  fi
  nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader
fi

cd "$repo_root"
if [[ ! -f node_modules/@tensorflow/tfjs-node-gpu/package.json ]]; then
  echo "gpu.sh: installing the repo's dependencies (npm ci) ..."
  npm ci --no-audit --no-fund
fi
# tfjs-node-gpu's binding, built against TF 2.21's CUDA build, plus the CUDA 12 runtime in
# node_modules/@tensorflow/tfjs-node-gpu/deps/nvidia. Prints the TF version, which CUDA libraries
# load, the driver and the GPUs TF sees. Idempotent: a second run takes about 2 s.
if [[ $smoke == 0 ]]; then
  node tools/provision-tfjs-node/provision.mjs --gpu --cuda-libs
else
  node tools/provision-tfjs-node/provision.mjs --gpu
fi

cd "$package_dir"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export TFJS_NODE_PACKAGE=@tensorflow/tfjs-node-gpu
exec node --import tsx --conditions=@tfjs-amp/source bench/tensorflow-gpu.ts "$@"
