"""What each change to the engine bought: the same workloads on past versions of engine.py.

    python -m bench.history REV [REV ...]     # git revisions, oldest first

Each revision's `autograd/engine.py` is loaded on its own (the engine imports the standard
library only) and runs, in a fresh process, the dynamic-engine workloads written with the
engine's own ops: the MLP step (dot nodes, and micrograd's + and * nodes), the 5,000-node DAG
and a 100,000-node chain. The revisions take turns, round after round, and each figure is the
fastest of all its runs (total seconds, forward + backward): on a shared machine the minimum
is the steadiest estimate of what the code costs. The plain-float baseline of the same runs
gives the ratios.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from bench import baseline, problems

SEED = 1
ALPHA = 1e-4


def load_engine(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("engine_under_test", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["engine_under_test"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def fastest_seconds(run: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def workloads(e: ModuleType) -> dict[str, Callable[[], Any]]:
    """The workloads on engine module `e`: each builds a graph and differentiates it."""
    xs, ys = problems.two_moons(100, noise=0.1, seed=SEED)
    layers = [[([e.Value(w) for w in row], e.Value(b)) for row, b in zip(rows, biases)]
              for rows, biases in problems.mlp_weights(problems.MLP_SIZES, SEED)]
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]

    def mlp(binary: bool) -> None:
        margins = []
        for x, y in zip(xs, ys):
            activations = [e.Value(v) for v in x]
            for k, layer in enumerate(layers):
                one = e.Value(1.0)
                outputs = []
                for ws, b in layer:
                    if binary:
                        z = sum((w * a for w, a in zip(ws, activations)), b)
                    else:
                        z = e.dot([*ws, b], [*activations, one])
                    outputs.append(z if k == len(layers) - 1 else e.relu(z))
                activations = outputs
            margins.append(e.relu(1.0 + (-y) * activations[0]))
        loss = e.sum_values(margins) * (1.0 / len(margins)) + \
            ALPHA * e.sum_values([p * p for p in params])
        loss.backward()
        for p in params:
            p.grad = 0.0

    dag = problems.random_dag(5000, SEED)

    def dag_run() -> None:
        nodes = [e.Value(x) for x in dag.inputs]
        for op, a, b in dag.nodes:
            if op == "tanh":
                nodes.append(e.tanh(nodes[a]))
            elif op == "+":
                nodes.append(nodes[a] + nodes[b])
            else:
                nodes.append(nodes[a] * nodes[b])
        nodes[-1].backward()

    def chain() -> None:
        x, a, b = e.Value(problems.CHAIN_X0), e.Value(problems.CHAIN_A), e.Value(problems.CHAIN_B)
        for _ in range(33_333):
            x = e.tanh(x * a + b)
        x.backward()

    return {"mlp (dot)": lambda: mlp(False), "mlp (+, *)": lambda: mlp(True),
            "dag 5k": dag_run, "chain 100k": chain}


def baselines() -> dict[str, Callable[[], Any]]:
    xs, ys = problems.two_moons(100, noise=0.1, seed=SEED)
    numbers = [w for rows, biases in problems.mlp_weights(problems.MLP_SIZES, SEED)
               for row, b in zip(rows, biases) for w in (*row, b)]
    step = baseline.mlp_step_function(problems.MLP_SIZES)
    dag = problems.random_dag(5000, SEED)
    run = baseline.dag_function(dag)
    return {"mlp (dot)": lambda: step(list(numbers), xs, ys, 0.0, ALPHA),
            "mlp (+, *)": lambda: step(list(numbers), xs, ys, 0.0, ALPHA),
            "dag 5k": lambda: run(dag.inputs),
            "chain 100k": lambda: baseline.chain_step(problems.CHAIN_X0, problems.CHAIN_A,
                                                      problems.CHAIN_B, 33_333)}


def measure(path: str, repeat: int) -> dict[str, float]:
    """Median seconds per workload for the engine at `path`, and for the baseline."""
    engine = load_engine(path)
    out = {name: fastest_seconds(run, repeat) for name, run in workloads(engine).items()}
    out.update({f"baseline {name}": fastest_seconds(run, repeat)
                for name, run in baselines().items()})
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__.split(
        "\n")[0])
    parser.add_argument("revisions", nargs="+", help="git revisions, oldest first")
    parser.add_argument("--repeat", type=int, default=5, help="runs per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one engine file
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.repeat)))
        return 0
    names = ["mlp (dot)", "mlp (+, *)", "dag 5k", "chain 100k"]
    best: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for revision in args.revisions:
            source = subprocess.run(["git", "show", f"{revision}:autograd/engine.py"],
                                    check=True, capture_output=True, text=True).stdout
            paths[revision] = os.path.join(folder, f"engine_{len(paths)}.py")
            with open(paths[revision], "w") as file:
                file.write(source)
        for _ in range(args.rounds):
            for revision, path in paths.items():
                result = subprocess.run([sys.executable, "-m", "bench.history", revision,
                                         "--measure", path, "--repeat", str(args.repeat)],
                                        check=True, capture_output=True, text=True)
                seconds = json.loads(result.stdout)
                mine = best.setdefault(revision, seconds)
                for key, value in seconds.items():
                    mine[key] = min(mine[key], value)
    print("| revision | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for revision, seconds in best.items():
        cells = [f"{seconds[n] * 1e3:.1f} ms ({seconds[n] / seconds['baseline ' + n]:.1f}x)"
                 for n in names]
        print(f"| {revision} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
