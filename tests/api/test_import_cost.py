"""What importing and using the client costs: httpx's command-line tool is left out (see
blotter/api/__init__.py), and a request searches for no module that is not installed."""

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


def test_a_request_looks_for_no_missing_module():
    """httpcore asks sniffio which async library runs, several times a request: with sniffio missing,
    each ask searched sys.path again (measured: about 40 µs each, a share of every poll's CPU)."""
    code = (
        "import asyncio, sys\n"
        "import httpx\n"
        "missing = []\n"
        "class Last:  # consulted only when every other finder found nothing\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        missing.append(name)\n"
        "sys.meta_path.append(Last())\n"
        "async def serve(reader, writer):  # one answer per request, on a kept-alive connection\n"
        "    while True:\n"
        "        line = await reader.readline()\n"
        "        while line not in (b'\\r\\n', b''):\n"
        "            line = await reader.readline()\n"
        "        if not line:\n"
        "            return writer.close()\n"
        "        writer.write(b'HTTP/1.1 200 OK\\r\\ncontent-length: 2\\r\\n\\r\\n{}')\n"
        "        await writer.drain()\n"
        "async def main():\n"
        "    server = await asyncio.start_server(serve, '127.0.0.1', 0)\n"
        "    port = server.sockets[0].getsockname()[1]\n"
        "    async with httpx.AsyncClient(trust_env=False) as client:\n"
        "        (await client.get(f'http://127.0.0.1:{port}/')).raise_for_status()\n"
        "        missing.clear()  # optional extras (h2, socksio, trio) are looked for once, on first use\n"
        "        for _ in range(3):\n"
        "            (await client.get(f'http://127.0.0.1:{port}/')).raise_for_status()\n"
        "    server.close()\n"
        "asyncio.run(main())\n"
        "print(sorted(set(missing)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
