"""The measurements behind `make bench` (`python -m benchmarks`). Never part of `make test`.

Each figure module has a `run(quick)` returning `Figure`s; the processes it starts (the
blotter under a pseudo-terminal, a simulator) are helpers in `procs`. Child-process entry
points: `simproc` (a simulator with knobs `blotter sim` lacks), `demo_proc` (the demo with N
orders), `backfill` (the headless trades backfill) and `minimal_app` (the baseline Textual app).
"""
