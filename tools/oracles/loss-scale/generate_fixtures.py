"""Loss-scale trajectory fixtures for @tfjs-amp/loss-scale, from the real Python libraries.

Drives three reference implementations of dynamic loss scaling with the same generated gradient
streams and records, step by step, the scale the step used, whether the step was skipped, and the
library's good-step counter:

* PyTorch ``torch.amp.GradScaler('cpu')`` (``scale`` / ``step`` / ``update`` on an SGD optimizer),
* Keras 3 ``keras.optimizers.LossScaleOptimizer`` (``apply`` on an SGD inner optimizer; the torch
  backend, whose ``ops.cond`` runs eagerly),
* DeepSpeed ``DynamicLossScaler`` (``has_inf_or_nan`` + ``update_scale``), the reference for
  hysteresis.

Each stream holds float32 "true" gradients (a few values per step, sometimes a spike of 1..300)
plus Inf/NaN injected at chosen steps. What a library sees at a step is what a float16 backward
pass would hand it: ``float16(float32(g) * scale)`` with the library's *own* current scale, so a
spike overflows (|x| >= 65520 rounds to Inf in binary16) only while the scale is high, and the
trajectory depends on the rule under test. The TypeScript tests replay the same streams through
``nextScale`` (no tfjs) and through ``LossScaleOptimizer`` itself, and need no Python.

Usage (CPU only; PyPI's Linux torch wheel is the CUDA build, which also runs on CPU)::

    python3 -m venv /tmp/venv-loss-scale
    /tmp/venv-loss-scale/bin/pip install -r tools/oracles/loss-scale/requirements.txt
    KERAS_BACKEND=torch /tmp/venv-loss-scale/bin/python tools/oracles/loss-scale/generate_fixtures.py

It writes ``packages/loss-scale/test/fixtures/scale-trajectories.json``.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import keras  # noqa: E402
from keras import ops  # noqa: E402

import deepspeed  # noqa: E402
from deepspeed.runtime.fp16 import loss_scaler as ds_loss_scaler  # noqa: E402
from deepspeed.runtime.utils import has_inf_or_nan  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
OUT = REPO / "packages" / "loss-scale" / "test" / "fixtures" / "scale-trajectories.json"

FLOAT32_MAX = float(np.finfo(np.float32).max)
# Smallest positive normal float32: a minScale that never binds in the PyTorch and Keras
# configurations (neither library has a minimum scale).
FLOAT32_MIN_NORMAL = float(np.finfo(np.float32).tiny)
VALUES_PER_STEP = 4


def make_stream(seed: int, steps: int, injections: dict[int, str], spike_rate: float) -> list:
    """Gradient values per step: small values, random spikes, and injected 'inf'/'-inf'/'nan'.

    A negative spike_rate gives all-zero gradients (finite at any scale).
    """
    rng = np.random.default_rng(seed)
    stream = []
    for t in range(steps):
        if spike_rate < 0:
            stream.append([0.0] * VALUES_PER_STEP)
            continue
        mags = 10.0 ** rng.uniform(-4.0, -2.0, VALUES_PER_STEP)
        if rng.uniform() < spike_rate:
            mags[rng.integers(VALUES_PER_STEP)] = 10.0 ** rng.uniform(0.0, 2.5)
        signs = rng.choice([-1.0, 1.0], VALUES_PER_STEP)
        values = (signs * mags).astype(np.float32)
        row = [float(v) for v in values]
        if t in injections:
            row[int(rng.integers(VALUES_PER_STEP))] = injections[t]
        stream.append(row)
    return stream


def to_float32(row: list) -> np.ndarray:
    special = {"inf": np.inf, "-inf": -np.inf, "nan": np.nan}
    return np.array([special[v] if isinstance(v, str) else v for v in row], dtype=np.float32)


def half_precision_grads(row: list, scale: float) -> np.ndarray:
    """What a float16 backward pass produces for loss * scale: float16(float32(g) * scale)."""
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = to_float32(row) * np.float32(scale)  # float32 product, as on the device
        return scaled.astype(np.float16).astype(np.float32)


def run_torch(cfg: dict, stream: list) -> list:
    param = torch.zeros(VALUES_PER_STEP, dtype=torch.float32, requires_grad=True)

    class RecordingSGD(torch.optim.SGD):
        stepped = False

        def step(self, closure=None):  # noqa: D401 - torch API
            RecordingSGD.stepped = True
            return super().step(closure)

    opt = RecordingSGD([param], lr=0.0)
    scaler = torch.amp.GradScaler(
        "cpu",
        init_scale=cfg["init_scale"],
        growth_factor=cfg["growth_factor"],
        backoff_factor=cfg["backoff_factor"],
        growth_interval=cfg["growth_interval"],
    )
    steps = []
    for row in stream:
        scaler.scale(torch.ones((), dtype=torch.float32))  # creates the scale tensor lazily
        scale = scaler.get_scale()
        param.grad = torch.from_numpy(half_precision_grads(row, scale))
        RecordingSGD.stepped = False
        scaler.step(opt)
        scaler.update()
        steps.append(
            {
                "scale": scale,
                "skipped": not RecordingSGD.stepped,
                "goodSteps": int(scaler._get_growth_tracker()),
            }
        )
    steps.append({"scale": scaler.get_scale()})
    return steps


def run_keras(cfg: dict, stream: list) -> list:
    var = keras.Variable(np.zeros(VALUES_PER_STEP, np.float32))
    inner = keras.optimizers.SGD(learning_rate=0.0)
    opt = keras.optimizers.LossScaleOptimizer(
        inner,
        initial_scale=cfg["initial_scale"],
        dynamic_growth_steps=cfg["dynamic_growth_steps"],
    )
    opt.build([var])

    def read(v):
        return ops.convert_to_numpy(v).item()

    steps = []
    for row in stream:
        scale = float(read(opt.dynamic_scale))
        before = int(read(inner.iterations))
        grads = ops.convert_to_tensor(half_precision_grads(row, scale))
        opt.apply([grads], [var])
        steps.append(
            {
                "scale": scale,
                "skipped": int(read(inner.iterations)) == before,
                "goodSteps": int(read(opt.step_counter)),
            }
        )
    steps.append({"scale": float(read(opt.dynamic_scale))})
    return steps


class _SingleRank:
    """DeepSpeed's update_scale asks the process-group rank only to decide whether to log."""

    @staticmethod
    def get_rank():
        return 0


def run_deepspeed(cfg: dict, stream: list) -> list:
    ds_loss_scaler.dist = _SingleRank
    scaler = ds_loss_scaler.DynamicLossScaler(
        init_scale=cfg["init_scale"],
        scale_window=cfg["scale_window"],
        min_scale=cfg["min_scale"],
        delayed_shift=cfg["delayed_shift"],
        consecutive_hysteresis=cfg["consecutive_hysteresis"],
        raise_error_at_min_scale=False,
    )
    param = torch.zeros(VALUES_PER_STEP, dtype=torch.float32, requires_grad=True)
    steps = []
    for row in stream:
        scale = float(scaler.cur_scale)
        param.grad = torch.from_numpy(half_precision_grads(row, scale))
        # DynamicLossScaler.has_overflow_serial calls its _has_inf_or_nan without `self` in this
        # DeepSpeed release, so call the function it delegates to directly.
        overflow = bool(has_inf_or_nan(param.grad))
        scaler.update_scale(overflow)
        # DeepSpeed's fp16 optimizers skip exactly the steps on which the scaler saw an overflow.
        steps.append({"scale": scale, "skipped": bool(overflow), "hysteresisLeft": scaler.cur_hysteresis})
    steps.append({"scale": float(scaler.cur_scale)})
    return steps


def trajectory(name, library, library_config, options, stream, steps, note):
    return {
        "name": name,
        "library": library,
        "libraryConfig": library_config,
        "options": options,
        "note": note,
        "grads": stream,
        "steps": steps[:-1],
        "finalScale": steps[-1]["scale"],
    }


def torch_case(name, seed, n, injections, spike_rate, cfg, note):
    stream = make_stream(seed, n, injections, spike_rate)
    options = {
        "initialScale": cfg["init_scale"],
        "growthInterval": cfg["growth_interval"],
        "growthFactor": cfg["growth_factor"],
        "backoffFactor": cfg["backoff_factor"],
        "minScale": FLOAT32_MIN_NORMAL,
        "maxScale": FLOAT32_MAX,
        "hysteresis": 1,
    }
    return trajectory(name, "torch.amp.GradScaler('cpu')", cfg, options, stream, run_torch(cfg, stream), note)


def keras_case(name, seed, n, injections, spike_rate, cfg, note):
    stream = make_stream(seed, n, injections, spike_rate)
    options = {
        "initialScale": cfg["initial_scale"],
        "growthInterval": cfg["dynamic_growth_steps"],
        "growthFactor": 2,
        "backoffFactor": 0.5,
        "minScale": FLOAT32_MIN_NORMAL,
        "maxScale": FLOAT32_MAX,
        "hysteresis": 1,
    }
    return trajectory(
        name, "keras.optimizers.LossScaleOptimizer", cfg, options, stream, run_keras(cfg, stream), note
    )


def deepspeed_case(name, seed, n, injections, spike_rate, cfg, note):
    stream = make_stream(seed, n, injections, spike_rate)
    options = {
        "initialScale": cfg["init_scale"],
        "growthInterval": cfg["scale_window"],
        "growthFactor": 2,
        "backoffFactor": 0.5,
        "minScale": cfg["min_scale"],
        "maxScale": FLOAT32_MAX,
        "hysteresis": cfg["delayed_shift"],
    }
    return trajectory(
        name, "deepspeed DynamicLossScaler", cfg, options, stream, run_deepspeed(cfg, stream), note
    )


def main() -> None:
    inj_a = {5: "inf", 6: "nan", 17: "-inf", 30: "nan", 31: "nan", 32: "inf", 47: "nan"}
    inj_b = {3: "nan", 11: "inf", 12: "inf", 25: "-inf", 40: "nan"}
    cases = [
        torch_case(
            "torch-interval-3", 1, 60, inj_a, 0.2,
            {"init_scale": 2.0**10, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 3},
            "growth every 3 clean steps; spikes overflow only at high scales",
        ),
        torch_case(
            "torch-odd-factors", 2, 60, inj_b, 0.2,
            {"init_scale": 1000.0, "growth_factor": 3.0, "backoff_factor": 0.3, "growth_interval": 4},
            "non-power-of-two factors: the scale is rounded to float32 after every update",
        ),
        torch_case(
            "torch-defaults", 3, 40, inj_b, 0.3,
            {"init_scale": 2.0**16, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2000},
            "PyTorch's defaults: only backoffs happen within 40 steps",
        ),
        torch_case(
            "torch-float32-ceiling", 4, 8, {}, -1.0,
            {"init_scale": 2.0**124, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 1},
            "growth that would reach Inf is refused: the scale stays at 2^127",
        ),
        keras_case(
            "keras-growth-4", 5, 60, inj_a, 0.2,
            {"initial_scale": 2.0**15, "dynamic_growth_steps": 4},
            "growth every 4 clean steps",
        ),
        keras_case(
            "keras-growth-1", 6, 40, inj_b, 0.25,
            {"initial_scale": 2.0**8, "dynamic_growth_steps": 1},
            "growth after every clean step",
        ),
        keras_case(
            "keras-defaults", 7, 40, inj_a, 0.3,
            {"initial_scale": 2.0**15, "dynamic_growth_steps": 2000},
            "Keras 3 defaults",
        ),
        deepspeed_case(
            "deepspeed-hysteresis-2", 8, 50, {4: "inf", 9: "nan", 10: "nan", 21: "inf", 22: "inf", 23: "inf", 35: "nan"}, 0.3,
            {"init_scale": 2.0**12, "scale_window": 1000, "min_scale": 256.0, "delayed_shift": 2, "consecutive_hysteresis": False},
            "hysteresis 2 and a binding minScale; no growth within the stream (see README: DeepSpeed's first growth comes one step later)",
        ),
        deepspeed_case(
            "deepspeed-hysteresis-3-at-min", 9, 40, {t: "nan" for t in range(6, 30, 2)}, 0.1,
            {"init_scale": 16.0, "scale_window": 1000, "min_scale": 1.0, "delayed_shift": 3, "consecutive_hysteresis": False},
            "repeated overflows at minScale keep skipping steps with the scale clamped",
        ),
    ]
    fixture = {
        "generatedBy": "tools/oracles/loss-scale/generate_fixtures.py",
        "versions": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "torch": torch.__version__,
            "keras": keras.__version__,
            "kerasBackend": keras.backend.backend(),
            "deepspeed": deepspeed.__version__,
        },
        "gradsEncoding": "float32 values per step; 'inf', '-inf' and 'nan' are injected non-finite values",
        "overflowRule": "a library sees float16(float32(g) * scale) at each step, with its own current scale",
        "trajectories": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(fixture, indent=1, allow_nan=False)
    OUT.write_text(text + "\n")
    for c in cases:
        skipped = sum(1 for s in c["steps"] if s["skipped"])
        scales = sorted({s["scale"] for s in c["steps"]})
        print(f"{c['name']:32s} steps {len(c['steps']):3d}  skipped {skipped:2d}  scales {len(scales):2d} distinct"
              f"  [{scales[0]:.6g} .. {scales[-1]:.6g}]  final {c['finalScale']:.6g}")
    print(f"wrote {OUT.relative_to(REPO)}")
    assert all(math.isfinite(s["scale"]) for c in cases for s in c["steps"])


if __name__ == "__main__":
    main()
