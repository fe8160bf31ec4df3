"""TLS verification is always on for https: a server with an untrusted certificate is refused
before any request (and so before any signed header) is sent."""

from __future__ import annotations

import asyncio
import ssl
import subprocess

import httpx
import pytest
from pydantic import SecretStr

from blotter.api import ConnectError, Credentials, RetryPolicy, TrueXClient


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
             "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True, timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"openssl cannot make a test certificate: {exc}")
    return cert, key


@pytest.fixture
async def tls_server(self_signed):
    cert, key = self_signed
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            received.append(await reader.readuntil(b"\r\n\r\n"))
            body = b'{"status":"ok"}'
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                         + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"https://127.0.0.1:{port}", received
    finally:
        server.close()
        await server.wait_closed()


def credentials() -> Credentials:
    return Credentials("1", "key", SecretStr("tls-test-secret"))


async def test_untrusted_certificate_is_refused_before_anything_is_sent(tls_server):
    url, received = tls_server
    async with httpx.AsyncClient(verify=False) as insecure:  # the server itself works
        assert (await insecure.get(url + "/api/v1/health")).status_code == 200
    assert len(received) == 1
    async with TrueXClient(url, credentials=credentials(), retry=RetryPolicy(attempts=1)) as client:
        with pytest.raises(ConnectError):
            await client.balances()
    assert len(received) == 1  # the signed request never reached the server


def test_the_client_verifies_certificates_and_hostnames():
    client = TrueXClient("https://prod.truex.co", credentials=credentials())
    context = client._http._transport._pool._ssl_context
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname


def test_no_setting_turns_verification_off(monkeypatch):
    # Variables that switch verification off in other tools have no effect here.
    monkeypatch.setenv("PYTHONHTTPSVERIFY", "0")
    monkeypatch.setenv("CURL_CA_BUNDLE", "")
    client = TrueXClient("https://prod.truex.co", credentials=credentials())
    context = client._http._transport._pool._ssl_context
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname


def test_https_trusts_the_ca_bundle_and_plain_http_trusts_nothing():
    """A plain http base URL (the demo, a simulator) skips loading the CA bundle at start; its
    context still requires a certificate and trusts none, so TLS could never pass unverified."""
    bundle = TrueXClient("https://prod.truex.co")._http._transport._pool._ssl_context
    assert bundle.cert_store_stats()["x509_ca"] > 0
    plain = TrueXClient("http://127.0.0.1:8080")._http._transport._pool._ssl_context
    assert plain.verify_mode is ssl.CERT_REQUIRED and plain.check_hostname
    assert plain.cert_store_stats()["x509_ca"] == 0


async def test_a_plain_http_client_refuses_a_tls_server_it_is_sent_to(tls_server):
    url, received = tls_server
    plain = TrueXClient("http://" + url.removeprefix("https://"), credentials=credentials(),
                        retry=RetryPolicy(attempts=1))
    async with httpx.AsyncClient(transport=plain._http._transport) as forced:  # the same context, over https
        with pytest.raises(httpx.ConnectError):
            await forced.get(url + "/api/v1/health")
    assert received == []
    await plain.aclose()
