"""`blotter` as a subprocess with the simulator's credentials in the environment (and no config file)."""

import os
import subprocess
import sys

from blotter.sim import DEMO_CREDENTIALS


def run_cli(sim, *args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUEX_")}
    env.update(
        TRUEX_BASE_URL=sim.base_url,
        TRUEX_USER_ID=DEMO_CREDENTIALS.user_id,
        TRUEX_API_KEY=DEMO_CREDENTIALS.key,
        TRUEX_API_SECRET=DEMO_CREDENTIALS.secret,
        BLOTTER_CONFIG="/nonexistent/blotter.toml",
    )
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "blotter", *args], capture_output=True, text=True, env=env, timeout=60
    )
