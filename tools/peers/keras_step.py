"""Keras 3 (TensorFlow backend) training-step times for tfjs-amp's W1/W4 workloads.

Prints one JSON line: {"keras": version, "tensorflow": version, "workload": ..., "policy": ...,
"step_ms": [per-step times after warm-up]}. Used by packages/bench/bench/vs-keras.ts, which runs it
interleaved with tfjs-amp's own steps on the same machine; never by tests.

    python tools/peers/keras_step.py --workload w1 --policy mixed_bfloat16 --steps 10
"""

import argparse
import json
import os
import time

SHAPES = {"w1": ([784, 1024, 1024, 10], 256), "w4": ([1024, 4096, 4096, 10], 512)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workload", choices=sorted(SHAPES), default="w1")
    parser.add_argument("--policy", choices=["float32", "mixed_bfloat16", "mixed_float16"], default="float32")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf
    import keras

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.mixed_precision.set_global_policy(args.policy)
    dims, batch = SHAPES[args.workload]
    model = keras.Sequential(
        [
            keras.Input((dims[0],)),
            keras.layers.Dense(dims[1], activation="relu"),
            keras.layers.Dense(dims[2], activation="relu"),
            keras.layers.Dense(dims[3]),
            # Keras's advice for mixed precision: the softmax in float32.
            keras.layers.Activation("softmax", dtype="float32"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, dims[0]), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]
    for _ in range(args.warmup):
        model.train_on_batch(x, y)
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        times.append((time.perf_counter() - start) * 1000)
    print(
        json.dumps(
            {
                "keras": keras.__version__,
                "tensorflow": tf.__version__,
                "workload": args.workload,
                "policy": args.policy,
                "step_ms": times,
            }
        )
    )


if __name__ == "__main__":
    main()
