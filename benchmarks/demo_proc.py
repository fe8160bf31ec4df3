"""`blotter --demo` with a chosen number of resting orders (the demo itself seeds 25).

Same path as `blotter.ui.run.run_dashboard` for `--demo`: the simulator runs as a child process
(`spawn_demo_server`). Its base URL and pid are written to `--url-file` so the bench can count the
active orders and measure the simulator's CPU apart.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from blotter.api import RequestBudget
from blotter.config import Settings
from blotter.demo import demo_client, spawn_demo_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.demo_proc", description=__doc__)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--url-file", type=Path)
    args = parser.parse_args(argv)

    server = spawn_demo_server(args.seed, orders=args.orders)
    if args.url_file:
        args.url_file.write_text(f"{server.base_url} {server.process.pid}")
    try:
        from blotter.ui.app import create_app

        settings = Settings()  # as `blotter --demo` (ui/run.py): one request budget paces every request
        client = demo_client(server, budget=RequestBudget(settings.max_requests_per_minute))
        app = create_app(client, settings, environment="DEMO", handle_signals=True)
        app.run()
        return app.return_code or 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
