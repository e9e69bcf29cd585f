#!/usr/bin/env bash
# The GPU benchmark: the contenders of bench_zoo.py (kslim learning.train, kslim with
# jit_compile=True, tf_slim learning.train, Keras fit on keras.applications) and of
# bench_train.py (kslim, tf_slim, Keras fit, a bare loop), printing steps/s and ratios.
# On a GPU it takes about 5 minutes. Without a GPU (or with --quick) it runs the same
# scripts with small sizes and few steps (bench_zoo on mobilenet_v1, bench_train on the
# MLP), so CI can check that it still runs; absolute times are only meaningful on a GPU.
#
# usage: benchmarks/gpu.sh [--quick] [--out DIR]   (JSON results in DIR, default
#        benchmarks/results/gpu; a --quick run writes to a temporary folder unless --out)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --out) out="${2:?--out needs a folder}"; shift ;;
    *) echo "gpu.sh: unknown argument: $1 (usage: gpu.sh [--quick] [--out DIR])" >&2; exit 2 ;;
  esac
  shift
done
export TF_CPP_MIN_LOG_LEVEL=3
python="${PYTHON:-python}"
gpus=$("$python" -c "import tensorflow as tf; print(len(tf.config.list_physical_devices('GPU')))" 2>/dev/null)
if [ "$gpus" = "0" ] && [ "$quick" = "0" ]; then
  echo "gpu.sh: no GPU visible to TensorFlow: running the CPU smoke sizes (--quick)"
  quick=1
fi
if [ -z "$out" ]; then
  if [ "$quick" = "1" ]; then out=$(mktemp -d); else out=benchmarks/results/gpu; fi
fi
mkdir -p "$out"
echo "gpu.sh: $gpus GPU(s); results in $out"
if [ "$quick" = "1" ]; then
  "$python" benchmarks/bench_zoo.py --quick --nets mobilenet_v1 --json "$out/bench_zoo.json"
  "$python" benchmarks/bench_train.py --quick --workloads mlp --contenders kslim keras \
    --json "$out/bench_train.json"
else
  "$python" benchmarks/bench_zoo.py --repeats 1 --warmup 10 --steps 100 \
    --json "$out/bench_zoo.json"
  "$python" benchmarks/bench_train.py --repeats 1 --json "$out/bench_train.json"
fi
echo "gpu.sh: done ($out)"
