"""Speed and memory benchmarks of the engine, run by hand: `python -m bench.run`."""
