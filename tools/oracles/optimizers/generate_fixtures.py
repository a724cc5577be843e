"""Optimizer trajectory fixtures for @tfjs-amp/optimizers' AdamW and Nadam, from Keras 3 and PyTorch.

Runs the real optimizers of both libraries for 100 float32 steps on the same starting weights and
records the weights at chosen steps:

* Keras 3 ``keras.optimizers.AdamW`` and ``keras.optimizers.Nadam`` (JAX backend, float32),
  driven through ``optimizer.apply_gradients``;
* PyTorch ``torch.optim.AdamW`` and ``torch.optim.NAdam`` (``decoupled_weight_decay=True`` where
  weight decay is used), driven through ``optimizer.step()`` with ``param.grad`` set by hand.

Two gradient sources per configuration:

* ``stream``: a fixed float32 gradient per step (stored in the fixture), independent of the
  weights, with scales from 1e-3 to 3 and sign changes;
* ``quadratic``: the gradient of ``0.5·Σ a·(w − b)²``, i.e. ``g = a·(w − b)`` evaluated in float32
  on the library's current weights (two IEEE float32 operations, the same in every library), so
  each library's own trajectory feeds back into its gradients.

The TypeScript tests replay both through ``AdamW`` / ``Nadam`` and need no Python.

Usage (CPU only)::

    python3 -m venv /tmp/venv-opt-oracle
    /tmp/venv-opt-oracle/bin/pip install -r tools/oracles/optimizers/requirements.txt
    /tmp/venv-opt-oracle/bin/python tools/oracles/optimizers/generate_fixtures.py

It writes ``packages/optimizers/test/fixtures/optimizer-trajectories.json``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import keras  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
OUT = REPO / "packages" / "optimizers" / "test" / "fixtures" / "optimizer-trajectories.json"

STEPS = 100
CHECKPOINTS = [1, 2, 3, 5, 10, 25, 50, 75, 100]
SHAPES = [[2, 3], [4]]


def f32(values) -> list[float]:
    """float32 values as exact JSON numbers (the float64 holding each float32)."""
    return [float(v) for v in np.asarray(values, dtype=np.float32).ravel()]


def make_problem(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    a = [rng.uniform(0.5, 2.0, s).astype(np.float32) for s in SHAPES]
    # The minimum lies 1.5 to 2.5 away from the start, beyond what 100 steps of lr 0.01 travel:
    # near the minimum, Adam's normalized steps make any float32 rounding difference grow
    # (chaotically), which would test the libraries' rounding, not the update rule.
    b = [
        (w + rng.choice([-1.0, 1.0], s) * rng.uniform(1.5, 2.5, s)).astype(np.float32)
        for w, s in zip(init, SHAPES)
    ]
    stream = []
    for t in range(STEPS):
        scale = [1e-3, 1e-2, 0.1, 1.0, 3.0][t % 5]
        stream.append([(rng.standard_normal(s) * scale).astype(np.float32) for s in SHAPES])
    return {"init": init, "a": a, "b": b, "stream": stream}


def gradient(problem: dict, source: str, step: int, weights: list[np.ndarray]) -> list[np.ndarray]:
    if source == "stream":
        return problem["stream"][step]
    return [
        (a * (w.astype(np.float32) - b)).astype(np.float32)
        for a, b, w in zip(problem["a"], problem["b"], weights)
    ]


def run_keras(make_optimizer, problem: dict, source: str) -> dict:
    variables = [keras.Variable(w.copy(), dtype="float32") for w in problem["init"]]
    optimizer = make_optimizer()
    out = {}
    for step in range(STEPS):
        weights = [np.asarray(v.numpy(), dtype=np.float32) for v in variables]
        grads = gradient(problem, source, step, weights)
        optimizer.apply_gradients(
            [(keras.ops.convert_to_tensor(g), v) for g, v in zip(grads, variables)]
        )
        if step + 1 in CHECKPOINTS:
            out[str(step + 1)] = [f32(v.numpy()) for v in variables]
    return out


def run_torch(make_optimizer, problem: dict, source: str) -> dict:
    params = [torch.nn.Parameter(torch.from_numpy(w.copy())) for w in problem["init"]]
    optimizer = make_optimizer(params)
    out = {}
    for step in range(STEPS):
        weights = [p.detach().numpy().astype(np.float32) for p in params]
        grads = gradient(problem, source, step, weights)
        for p, g in zip(params, grads):
            p.grad = torch.from_numpy(np.asarray(g, dtype=np.float32).copy())
        optimizer.step()
        if step + 1 in CHECKPOINTS:
            out[str(step + 1)] = [f32(p.detach().numpy()) for p in params]
    return out


# Each case: the library, its constructor, and the options that configure the same rule here.
CASES = [
    {
        "name": "keras AdamW (defaults, lr 0.01)",
        "library": "keras",
        "optimizer": "AdamW",
        "make": lambda: keras.optimizers.AdamW(learning_rate=0.01),
        "options": {"learningRate": 0.01},
    },
    {
        "name": "keras AdamW (weight_decay 0.1, epsilon 1e-3)",
        "library": "keras",
        "optimizer": "AdamW",
        "make": lambda: keras.optimizers.AdamW(
            learning_rate=0.01, weight_decay=0.1, beta_1=0.8, beta_2=0.99, epsilon=1e-3
        ),
        "options": {
            "learningRate": 0.01,
            "weightDecay": 0.1,
            "beta1": 0.8,
            "beta2": 0.99,
            "epsilon": 1e-3,
        },
    },
    {
        "name": "torch AdamW (defaults, lr 0.01)",
        "library": "torch",
        "optimizer": "AdamW",
        "make": lambda p: torch.optim.AdamW(p, lr=0.01),
        "options": {
            "learningRate": 0.01,
            "weightDecay": 0.01,
            "epsilon": 1e-8,
            "convention": "torch",
        },
    },
    {
        "name": "torch AdamW (weight_decay 0.1, eps 1e-3)",
        "library": "torch",
        "optimizer": "AdamW",
        "make": lambda p: torch.optim.AdamW(
            p, lr=0.01, weight_decay=0.1, betas=(0.8, 0.99), eps=1e-3
        ),
        "options": {
            "learningRate": 0.01,
            "weightDecay": 0.1,
            "beta1": 0.8,
            "beta2": 0.99,
            "epsilon": 1e-3,
            "convention": "torch",
        },
    },
    {
        "name": "keras Nadam (defaults, lr 0.01)",
        "library": "keras",
        "optimizer": "Nadam",
        "make": lambda: keras.optimizers.Nadam(learning_rate=0.01),
        "options": {"learningRate": 0.01},
    },
    {
        "name": "keras Nadam (weight_decay 0.05, beta_1 0.95)",
        "library": "keras",
        "optimizer": "Nadam",
        "make": lambda: keras.optimizers.Nadam(
            learning_rate=0.01, beta_1=0.95, weight_decay=0.05
        ),
        "options": {"learningRate": 0.01, "beta1": 0.95, "weightDecay": 0.05},
    },
    {
        "name": "torch NAdam (defaults)",
        "library": "torch",
        "optimizer": "Nadam",
        "make": lambda p: torch.optim.NAdam(p),
        "options": {
            "learningRate": 0.002,
            "epsilon": 1e-8,
            "momentumDecay": 0.004,
            "convention": "torch",
        },
    },
    {
        "name": "torch NAdam (decoupled weight_decay 0.05, momentum_decay 0.04)",
        "library": "torch",
        "optimizer": "Nadam",
        "make": lambda p: torch.optim.NAdam(
            p,
            lr=0.01,
            weight_decay=0.05,
            decoupled_weight_decay=True,
            momentum_decay=0.04,
        ),
        "options": {
            "learningRate": 0.01,
            "epsilon": 1e-8,
            "momentumDecay": 0.04,
            "weightDecay": 0.05,
            "convention": "torch",
        },
    },
]


def main() -> None:
    problem = make_problem(12)
    cases = []
    for case in CASES:
        for source in ("stream", "quadratic"):
            run = run_keras if case["library"] == "keras" else run_torch
            cases.append(
                {
                    "name": f"{case['name']}, {source}",
                    "library": case["library"],
                    "optimizer": case["optimizer"],
                    "source": source,
                    "options": case["options"],
                    "checkpoints": run(case["make"], problem, source),
                }
            )
    fixture = {
        "generator": "tools/oracles/optimizers/generate_fixtures.py",
        "versions": {
            "keras": keras.__version__,
            "keras_backend": keras.backend.backend(),
            "torch": torch.__version__,
            "numpy": np.__version__,
        },
        "steps": STEPS,
        "shapes": SHAPES,
        "init": [f32(w) for w in problem["init"]],
        "a": [f32(w) for w in problem["a"]],
        "b": [f32(w) for w in problem["b"]],
        "stream": [[f32(g) for g in step] for step in problem["stream"]],
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"wrote {OUT.relative_to(REPO)}: {len(cases)} trajectories of {STEPS} steps")


if __name__ == "__main__":
    main()
