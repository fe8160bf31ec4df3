"""What importing the client costs: httpx's command-line tool is left out (see blotter/api/__init__.py)."""

import subprocess
import sys


def test_the_client_leaves_httpx_command_line_tool_out_and_httpx_works():
    code = (
        "import sys, asyncio\n"
        "from blotter.api import TrueXClient\n"
        "import httpx\n"
        "print(sorted(m for m in ('httpx._main', 'click', 'pygments') if sys.modules.get(m) is not None))\n"
        "transport = httpx.MockTransport(lambda request: httpx.Response(200, json={'ok': True}))\n"
        "async def get():\n"
        "    async with httpx.AsyncClient(transport=transport) as client:\n"
        "        return (await client.get('http://x/')).json()\n"
        "print(asyncio.run(get()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["[]", "{'ok': True}"]
