"""The checks, in the order they run. Each takes the run's `Probe` and returns an `Outcome`;
a check that needs an earlier one's result raises `Skipped` through `probe.require_*`."""

from __future__ import annotations

import ipaddress
import json
import ssl
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any

import httpx

from ...api import (
    ApiError,
    BadRequest,
    Forbidden,
    NotFound,
    RateLimited,
    RequestBudget,
    ResponseFormatError,
    TransportError,
    TrueXClient,
    TrueXError,
    Unauthorized,
)
from ...api.models import (
    NS_PER_DAY,
    ApiVersion,
    ClientStatus,
    Health,
    Order,
    QtyUnit,
    Side,
    VwapQuote,
    VwapQuoteRequest,
)
from ...config import expected_api_prefix, unauthorized_help
from ._guard import proxy_for
from ._probe import WIDE_PAGE, Probe, prefix_hint
from ._verdicts import (
    Note,
    Outcome,
    Result,
    asset_notes,
    balance_notes,
    clock_verdict,
    instrument_notes,
    order_notes,
    paging_outcome,
    quote_notes,
    timestamp_meaning,
    trade_notes,
)

PAGING_PAGE = 2  # small pages: three records are enough to see paging advance
V2024, V2026 = ApiVersion.V2024_01_01.value, ApiVersion.V2026_01_23.value
NOTHING_TO_CHANGE = "Nothing to change: the blotter copes as said."


def _detail(error: ApiError) -> str:
    return f"{error.status} {error.title}" + (f": {error.detail}" if error.detail else "")


def _list(items: Sequence[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# --- 1. reachability ----------------------------------------------------------------------------


async def check_reachability(probe: Probe) -> Outcome:
    client = probe.client()
    where = f"{probe.base_url} (prefix {probe.prefix or 'none'})"
    path = client.path("/health")
    facts: dict[str, Any] = {"base_url": probe.base_url, "api_prefix": probe.prefix, "notes": probe.settings.notes}
    proxy = _proxy_host(probe.base_url)
    via = f" through the proxy {proxy}" if proxy else ""
    facts["proxy"] = proxy
    try:
        response = await client.request("GET", "/health", retries=False)
        probe.health_answer = (_status(probe), response.data)
    except ApiError as error:
        probe.health_answer = (error.status, error.payload)
    except ResponseFormatError:  # the server did answer, with something that is not JSON
        probe.health_answer = (_status(probe), None)
    except TransportError as error:
        probe.reachable = False
        seen = probe.last_seen()
        probe.connect_error = seen.error if seen is not None else None
        return Outcome(Result.FAIL, f"{where}{via}: {_connect_reason(probe.connect_error, error)}.",
                       _reach_action(probe, probe.connect_error), facts)
    probe.reachable = True
    seen = probe.last_seen()
    status = seen.status if seen else None
    millis = f" in {seen.seconds * 1000:.0f} ms" if seen else ""
    meaning = f"{where}{via} answered GET {path}: HTTP {status}{millis}."
    facts["status"] = status
    for note in probe.settings.notes:
        meaning += f" Note: {note}."
    expected = expected_api_prefix(probe.base_url)
    if expected is not None and expected != probe.prefix:
        host = httpx.URL(probe.base_url).host
        return Outcome(Result.WARN, meaning + f" But {host} serves the API under {expected}.",
                       prefix_hint(probe.settings), facts)
    return Outcome(Result.OK, meaning, "", facts)


def _proxy_host(base_url: str) -> str | None:
    """host:port of the proxy in use, never its user:password."""
    proxy = proxy_for(httpx.URL(base_url))
    if not proxy:
        return None
    url = httpx.URL(proxy)
    return f"{url.host}:{url.port}" if url.port else url.host


def _status(probe: Probe) -> int | None:
    seen = probe.last_seen()
    return seen.status if seen else None


def _connect_reason(failure: BaseException | None, error: TrueXError) -> str:
    if failure is None:
        return str(error)
    if tls_failure(failure) is not None:
        return f"the TLS handshake failed ({_text(tls_failure(failure))})"
    name = type(failure).__name__
    if isinstance(failure, httpx.ConnectTimeout):
        return f"no answer to connect in time ({name})"
    if isinstance(failure, httpx.TimeoutException):
        return f"connected, but no answer in time ({name})"
    return f"cannot connect ({name}: {_text(failure)})" if _text(failure) else f"cannot connect ({name})"


def _text(error: BaseException | None) -> str:
    return str(error).strip() if error is not None else ""


def _reach_action(probe: Probe, failure: BaseException | None) -> str:
    host = httpx.URL(probe.base_url).host
    if failure is not None and tls_failure(failure) is not None:
        return "See TLS below."
    text = _text(failure).lower()
    if any(part in text for part in ("name or service not known", "nodename nor servname", "getaddrinfo",
                                     "name resolution")):
        return (f"The host name {host} does not resolve: check its spelling in base_url (TRUEX_BASE_URL), and "
                "that the exchange's VPN is up (its hosts resolve only inside it).")
    return (f"Check base_url (TRUEX_BASE_URL, now {probe.base_url}): host and port. TrueX hosts need the "
            "exchange's VPN or PrivateLink; if you go through a proxy, check HTTPS_PROXY and NO_PROXY.")


# --- 2. TLS -------------------------------------------------------------------------------------


def tls_failure(error: BaseException | None) -> BaseException | None:
    """The TLS error behind a connection failure (httpx wraps the `ssl` one), or None."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, ssl.SSLError):
            return error
        if "CERTIFICATE_VERIFY_FAILED" in str(error) or "[SSL" in str(error):
            return error
        error = error.__cause__ or error.__context__
    return None


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def check_tls(probe: Probe) -> Outcome:
    url = httpx.URL(probe.base_url)
    host = url.host
    if url.scheme == "http":
        if is_loopback(host):
            return Outcome(Result.OK, f"Plain http to {host}, this machine: unencrypted, which is fine for the "
                           "simulator.", "", {"scheme": "http", "loopback": True})
        return Outcome(
            Result.WARN,
            f"Plain http to {host}: requests and answers cross the network unencrypted. The signature stops "
            "tampering, not reading: orders and balances can be read on the way.",
            "Use https:// in base_url, unless this is the exchange's plain-http endpoint inside its VPN "
            "(port 9742).",
            {"scheme": "http", "loopback": False},
        )
    failed = tls_failure(probe.connect_error)
    if failed is not None:
        return Outcome(
            Result.FAIL,
            f"The certificate of {host} could not be verified: {_text(failed)}. Verification is always on and "
            "cannot be switched off.",
            "Check the host name in base_url and this machine's date. If your network inspects TLS, set "
            "SSL_CERT_FILE to a CA bundle that includes your firm's CA.",
            {"scheme": "https", "verified": False},
        )
    probe.require_reachable(sends=False)
    version = next((seen.tls_version for seen in probe.log if seen.tls_version), None)
    said = f" ({version})" if version else ""
    return Outcome(Result.OK, f"https to {host}: the certificate was verified{said}; verification is always on.",
                   "", {"scheme": "https", "verified": True, "tls_version": version})


# --- 3. clock -----------------------------------------------------------------------------------


async def check_clock(probe: Probe) -> Outcome:
    probe.require_reachable(sends=False)
    if not probe.clock.synced:
        return Outcome(Result.WARN, "The server's answers carry no Date header: the clock offset cannot be "
                       "measured, and the blotter cannot correct the time it signs with.",
                       "Keep this machine's clock synchronised (NTP).", {"offset_seconds": None})
    probe.learnt["clock_offset_seconds"] = round(probe.clock.offset, 3)
    return clock_verdict(probe.clock.offset)


# --- 4. signing ---------------------------------------------------------------------------------


async def _read_clients(client: TrueXClient) -> Any:
    return await client.clients()


async def check_signing(probe: Probe) -> Outcome:
    probe.require_reachable()
    settings = probe.settings
    client = probe.client()
    path = client.path("/clients")
    accepted = f"The signed GET {path} was accepted"
    try:
        page = await client.clients()
    except Unauthorized as error:
        probe.signed = False
        return Outcome(Result.FAIL, f"The exchange refused the signed GET {path}: {_detail(error)}.",
                       unauthorized_help(settings), {"read": f"GET {path}", "status": error.status})
    except (Forbidden, NotFound) as error:
        return await _signed_balances(probe, path, error)
    except BadRequest as error:  # e.g. an api_version the exchange does not know
        probe.refused_versions[settings.api_version] = _detail(error)
        found = await _clients_in_another_version(probe)
        if found is None:
            probe.signed = False
            return Outcome(Result.FAIL, f"The exchange refused the signed GET {path}: {_detail(error)}.",
                           "Send this output to the blotter's maintainers.", {"read": f"GET {path}"})
        version, page = found
        accepted += (f" in {version} (in the configured {settings.api_version} it was refused: see API "
                     "versions)")
    probe.signed = True
    probe.signed_read = _read_clients
    listed = {c.id: c for c in page.items}
    described = [f"{c.id} ({c.info.mnemonic})" if c.info.mnemonic else c.id for c in page.items]
    facts = {"read": f"GET {path}", "client_ids": sorted(listed)}
    if not listed:
        return Outcome(Result.WARN, f"{accepted}, but the key lists no clients: the exchange may refuse orders "
                       f"for user_id {settings.user_id}.", "Ask TrueX which client ids this key may act for.", facts)
    one_of = ("one of " if len(listed) > 1 else "") + _list(sorted(listed), 6)
    for name, value in (("user_id (TRUEX_USER_ID)", settings.user_id),
                        ("client_id (TRUEX_CLIENT_ID), the default client for new orders,", settings.client_id)):
        if value and value not in listed:
            return Outcome(Result.FAIL, f"The signature is accepted, but {name} {value} is not among the clients "
                           f"this key can act for ({_list(described)}): the exchange would refuse its orders.",
                           f"Set {name.split(' (')[0]} to {one_of}.", facts)
    status = listed[settings.user_id].status if settings.user_id in listed else None
    accepted += f"; the key can act for {len(listed)} client(s): {_list(described)}, user_id among them."
    if status is not None and status != ClientStatus.ACTIVE:
        return Outcome(Result.WARN, f"{accepted} But client {settings.user_id} is {status}: the exchange may "
                       "refuse its orders.", "Ask TrueX to activate the client.", facts)
    return Outcome(Result.OK, accepted, "", facts)


async def _clients_in_another_version(probe: Probe) -> tuple[str, Any] | None:
    for version in (V2026, V2024):
        if version != probe.settings.api_version:
            try:
                return version, await probe.client(version).clients()
            except RateLimited:
                raise
            except ApiError as error:
                probe.refused_versions[version] = _detail(error)
    return None


async def _signed_balances(probe: Probe, clients_path: str, refused: ApiError) -> Outcome:
    """`GET clients` is not allowed or not there: another signed read tells whether signing works."""
    settings = probe.settings
    client = probe.client()
    path = client.path("/balances")
    facts: dict[str, Any] = {"read": f"GET {path}", "clients_status": refused.status}

    async def read_balances(c: TrueXClient) -> Any:
        return await c.balances(client_id=settings.client_id or settings.user_id)

    try:
        await read_balances(client)
    except Unauthorized as error:
        probe.signed = False
        return Outcome(Result.FAIL, f"The exchange refused the signed GET {path}: {_detail(error)}.",
                       unauthorized_help(settings), facts)
    except RateLimited:
        raise
    except ApiError as error:
        probe.signed = False
        return Outcome(Result.FAIL, f"No signed read answered: GET {clients_path} gave {_detail(refused)}, GET "
                       f"{path} gave {_detail(error)}.", prefix_hint(settings), facts)
    probe.signed = True
    probe.signed_read = read_balances
    return Outcome(Result.WARN, f"The signed GET {path} was accepted, but GET {clients_path} answered "
                   f"{_detail(refused)}: cannot check that user_id {settings.user_id} is a client this key may "
                   "act for.", "Ask TrueX to let the key list its clients, or confirm user_id with them.", facts)


# --- 5. API versions ----------------------------------------------------------------------------


async def check_versions(probe: Probe) -> Outcome:
    probe.require_signed()
    assert probe.signed_read is not None
    configured = probe.settings.api_version
    found: dict[str, dict[str, Any]] = {}
    for version in dict.fromkeys([configured, V2024, V2026]):
        client = probe.client(version)
        entry: dict[str, Any] = {"answers": True, "error": None}
        try:
            if version in probe.refused_versions:
                entry = {"answers": False, "error": probe.refused_versions[version]}
            elif version != configured:  # the signing check's read already answered in the configured one
                await probe.signed_read(client)
        except RateLimited:
            raise
        except ApiError as error:
            entry = {"answers": False, "error": _detail(error)}
        entry["deprecation"], entry["sunset"] = client.notices.deprecation, client.notices.sunset
        found[version] = entry
        probe.answering[version] = entry["answers"]
    probe.learnt["versions_answering"] = [v for v, entry in found.items() if entry["answers"]]
    lines = [f"{version}{' (configured)' if version == configured else ''}: {_version_state(entry)}"
             for version, entry in found.items()]
    meaning = "; ".join(lines) + "."
    facts = {"configured": configured, "versions": found}
    working = [v for v in (V2026, V2024) if found.get(v, {}).get("answers")]
    mine = found[configured]
    if not mine["answers"]:
        action = (f"Set api_version (TRUEX_API_VERSION) to {working[0]}." if working
                  else "Ask TrueX which API version this account uses.")
        return Outcome(Result.FAIL, meaning, action, facts)
    if mine["deprecation"] or mine["sunset"]:
        newer = next((v for v in working if v != configured), None)
        before = f" before the sunset ({mine['sunset']})" if mine["sunset"] else ""
        action = (f'Set api_version = "{newer}" (TRUEX_API_VERSION){before}.' if newer
                  else "Ask TrueX which version replaces it.")
        return Outcome(Result.WARN, meaning, action, facts)
    return Outcome(Result.OK, meaning, "", facts)


def _version_state(entry: dict[str, Any]) -> str:
    if not entry["answers"]:
        return f"refused ({entry['error']})"
    dates = [f"{name} {entry[key]}" for name, key in (("Deprecation:", "deprecation"), ("Sunset:", "sunset"))
             if entry[key]]
    return "answers, deprecated (" + ", ".join(dates) + ")" if dates else "answers"


# --- 6. health ----------------------------------------------------------------------------------


async def check_health(probe: Probe) -> Outcome:
    probe.require_reachable(sends=False)
    assert probe.health_answer is not None
    status, body = probe.health_answer
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        body = body["data"]  # a v2026 envelope around an error-status answer
    path = probe.client().path("/health")
    if isinstance(body, dict) and isinstance(body.get("status"), str):
        health = Health.model_validate(body)
        shape = "{" + ", ".join(sorted(body)) + "}"
        facts = {"status": status, "health": health.status, "shape": sorted(body)}
        probe.learnt["health"] = health.status
        said = ", ".join(part for part in (f"service {health.service}" if health.service else "",
                                           f"server time {health.timestamp}" if health.timestamp else "") if part)
        said = f"; {said}" if said else ""
        if not health.degraded:
            return Outcome(Result.OK, f"{health.status} (HTTP {status}{said}); shape {shape}.", "", facts)
        return Outcome(Result.WARN,
                       f"{health.status} (HTTP {status} with the health body {shape}{said}): the exchange reports "
                       "reduced service. Not a failure: the blotter keeps reading orders and shows the state.",
                       "Nothing to fix here; if orders or fills look late, ask TrueX about it.", facts)
    keys = sorted(body) if isinstance(body, dict) else None
    facts = {"status": status, "shape": keys}
    if status == 200:
        got = ", ".join(keys) if keys is not None else "no JSON object"
        return Outcome(Result.WARN, f"HTTP 200, but not the documented {{status, timestamp, service}} (got {got}): "
                       "the dashboard cannot show the exchange's health.", "Nothing to change.", facts)
    if status == 404:
        return Outcome(Result.WARN, f"No health endpoint at GET {path} (404): the dashboard cannot show the "
                       "exchange's health.", "Nothing to change, unless other checks find nothing there either: "
                       + prefix_hint(probe.settings), facts)
    if status == 429:
        return Outcome(Result.WARN, f"Rate limited (HTTP 429) before the health could be read from GET {path}.",
                       "See Rate limit below.", facts)
    if status is not None and status >= 500:
        return Outcome(Result.FAIL, f"HTTP {status} without a health body: the exchange's gateway is not "
                       "serving.", "Try again later; ask TrueX if it persists.", facts)
    return Outcome(Result.WARN, f"HTTP {status} from GET {path}: the dashboard cannot show the exchange's health.",
                   "Nothing to change.", facts)


# --- 7. paging ----------------------------------------------------------------------------------


def _trade_key(row: Any) -> str:
    if isinstance(row, dict) and row.get("match_id"):
        return f"{row.get('match_id')}:{row.get('order_id')}:{row.get('side')}"
    return json.dumps(row, sort_keys=True, default=str)


def _order_key(row: Any) -> str:
    if isinstance(row, dict) and row.get("id"):
        return str(row["id"])
    return json.dumps(row, sort_keys=True, default=str)


def _keys(page: Any, key: Callable[[Any], str]) -> list[str]:
    raw = page.raw if page.raw is not None else [item.to_wire() for item in page.items]
    return [key(row) for row in raw]


async def check_paging(probe: Probe) -> Outcome:
    probe.require_signed()
    configured = probe.settings.api_version
    version = V2026 if probe.answering.get(V2026, True) else configured
    client = probe.client(version)
    since = probe.now_ns() - NS_PER_DAY
    sources: list[tuple[str, Callable[..., Awaitable[Any]], Callable[[Any], str]]] = [
        ("trades of the last 24 h", lambda **kw: client.trades(since, **kw), _trade_key),
        ("orders/list", lambda **kw: client.list_orders(**kw), _order_key),
    ]
    counted: list[str] = []
    for label, fetch, key in sources:
        first = await fetch(size=PAGING_PAGE)
        first_keys = _keys(first, key)
        if len(first_keys) < PAGING_PAGE:
            counted.append(f"{len(first_keys)} in {label}")
            continue
        by_cursor = _keys(await fetch(size=PAGING_PAGE, cursor=first.next_cursor), key) if first.next_cursor else None
        by_skip = _keys(await fetch(size=PAGING_PAGE, skip=PAGING_PAGE), key)
        mode = paging_outcome(first_keys, by_cursor, by_skip)
        if mode != "unknown":
            return _paging_verdict(probe, mode, version, f"{label}, {PAGING_PAGE} a page, {version}",
                                   first_keys, by_cursor, client.enveloped)
        counted.append(f"{len(set(first_keys) | set(by_skip))} in {label}")
    return Outcome(Result.WARN, f"Not enough records to tell ({'; '.join(counted)}; 3 needed).",
                   "Run blotter doctor again once the account has a few trades; meanwhile the dashboard tries the "
                   "cursor and switches to skip when a page repeats.", {"paging": None})


def _paging_verdict(
    probe: Probe, mode: str, version: str, on: str, first: list[str], by_cursor: list[str] | None, enveloped: bool
) -> Outcome:
    facts = {"paging": mode, "version": version}
    if enveloped and mode in ("cursor", "skip"):
        probe.learnt["paging"] = mode
    also = ""
    if probe.settings.api_version == V2024 and version != V2024:
        also = f" (The configured {V2024} always pages with skip.)"
    if mode == "cursor":
        return Outcome(Result.OK, f"Paging advances with the cursor: next_cursor sent back as `cursor` gave the "
                       f"next records ({on}).{also}", "", facts)
    if mode == "skip" and not enveloped:
        return Outcome(Result.OK, f"Paging advances with skip ({on}).{also}", "", facts)
    if mode == "skip":
        if by_cursor is None:
            said = "The answers carry no next_cursor although more records exist"
        elif by_cursor == first:
            said = "The server ignores the `cursor` parameter: next_cursor sent back as `cursor` gave the same records"
        else:
            said = "next_cursor sent back as `cursor` did not give the next records"
        return Outcome(Result.WARN, f"{said}; `skip` advances ({on}).{also}",
                       "Nothing to change: the dashboard pages with skip (from the findings file) and keeps each "
                       "record once, so nothing is counted twice.", facts)
    return Outcome(Result.WARN, f"Neither the cursor nor skip advances: both gave the first records again ({on}). "
                   f"The dashboard reads only the first page (up to 100 records) of each list.{also}",
                   "Tell TrueX; the dashboard says so when it happens ('paging did not advance').", facts)


# --- 8. what the trades `timestamp` means -------------------------------------------------------


TIMESTAMP_VERDICTS = {
    "at_or_after": (Result.OK, "A lower bound: timestamp=T gives the trades at or after T, which is what the "
                    "blotter assumes.", ""),
    "after": (Result.OK, "A lower bound that leaves out T itself: the trades strictly after T. The blotter asks "
              "from its newest trade and keeps each trade once, so only a trade in that same nanosecond that "
              "arrives later could be missed.", ""),
    "ignored": (Result.WARN, "Ignored: the same trades come back whatever the timestamp. Each poll of the trades "
                "pane reads every page of the last 24 h again; each trade is still kept once, but polls cost more "
                "requests.", "Nothing to change; with many trades, set a longer poll.trades (e.g. 10 s)."),
    "at_or_before": (Result.FAIL, "An upper bound: timestamp=T gives the trades at or before T. The blotter asks "
                     "for the trades at or after the newest one it has, so new trades would not appear.",
                     "Do not rely on the trades pane for new fills; send this output to the blotter's maintainers."),
    "before": (Result.FAIL, "An upper bound: timestamp=T gives the trades before T. The blotter asks for the "
               "trades at or after the newest one it has, so new trades would not appear.",
               "Do not rely on the trades pane for new fills; send this output to the blotter's maintainers."),
    "unclear": (Result.WARN, "Could not tell: the answer fits no simple reading (lower bound, upper bound, "
                "ignored).", "Send this output to the blotter's maintainers."),
}


def _time_order(stamps: Sequence[int]) -> str:
    if all(a >= b for a, b in zip(stamps, stamps[1:])):
        return "newest first"
    if all(a <= b for a, b in zip(stamps, stamps[1:])):
        return "oldest first"
    return "in no time order"


def _timed(page: Any) -> list[tuple[str, int]]:
    return [(trade.key, trade.timestamp) for trade in page.items if trade.timestamp is not None]


async def check_trades_timestamp(probe: Probe) -> Outcome:
    probe.require_signed()
    rows = _timed(await probe.recent_trades())
    if len({ts for _, ts in rows}) < 3:
        # Nothing at or after a day ago: maybe an upper bound. Asked at "now", it would give them all.
        rows = _timed(await probe.client().trades(probe.now_ns(), size=WIDE_PAGE)) or rows
    stamps = sorted({ts for _, ts in rows})
    order = _time_order([ts for _, ts in rows])
    if len(stamps) < 3:
        return Outcome(Result.WARN, f"Too few trades to tell ({len(rows)} with a time in the last 24 h, at "
                       f"{len(stamps)} distinct times; 3 needed).",
                       "Run blotter doctor again once the account has traded a few times; until then the "
                       "dashboard takes it as a lower bound ('at or after'), as the reference does.",
                       {"meaning": None, "trades": len(rows)})
    probe.learnt["trades_newest_first"] = order == "newest first"
    pivot = stamps[len(stamps) // 2]
    answered = _timed(await probe.client().trades(pivot, size=WIDE_PAGE))
    meaning = timestamp_meaning(rows, pivot, answered)
    if meaning != "unclear":
        probe.learnt["trades_timestamp"] = meaning
    result, text, action = TIMESTAMP_VERDICTS[meaning]
    checked = (f" (Checked with T at the middle of {len(rows)} trades of the last 24 h: {len(answered)} came back; "
               f"trades come {order}.)")
    return Outcome(result, text + checked, action,
                   {"meaning": meaning, "pivot_ns": str(pivot), "trades": len(rows), "answered": len(answered),
                    "order": order})


# --- 9. fields the blotter reads ----------------------------------------------------------------


async def _section(
    name: str, fetch: Callable[[], Awaitable[Any]], notes: Callable[[Any], tuple[int, list[Note]]]
) -> tuple[str, int, list[Note]]:
    try:
        page = await fetch()
    except RateLimited:
        raise
    except ApiError as error:
        return name, 0, [Note(f"could not be read ({_detail(error)})")]
    except ResponseFormatError as error:
        return name, 0, [Note(f"could not be read ({error})")]
    count, found = notes(page)
    return name, count, found


def _unique_orders(pages: Sequence[Any]) -> tuple[list[Order], list[Any], int]:
    orders: dict[str, Order] = {}
    raw: dict[str, Any] = {}
    bad = 0
    for page in pages:
        bad += len(page.bad_rows)
        rows = page.raw if page.raw is not None else [o.to_wire() for o in page.items]
        by_id = {str(row["id"]): row for row in rows if isinstance(row, dict) and row.get("id") not in (None, "")}
        for order in page.items:
            orders.setdefault(order.id, order)
            raw.setdefault(order.id, by_id.get(order.id, {}))
    return list(orders.values()), list(raw.values()), bad


async def check_fields(probe: Probe) -> Outcome:
    probe.require_reachable()
    client = probe.client()
    sections = []
    if probe.signed:
        async def orders() -> Any:
            found = _unique_orders([await client.active_orders_page(), await client.list_orders(size=20)])
            if found[0]:
                probe.learnt["orders_have_time"] = all(order.timestamp is not None for order in found[0])
            return found

        sections.append(await _section("orders", orders, lambda found: (len(found[0]), order_notes(*found))))
        sections.append(await _section("trades", probe.recent_trades,
                                       lambda p: (len(p.items), trade_notes(p.items, len(p.bad_rows)))))
        client_id = probe.settings.client_id or probe.settings.user_id
        sections.append(await _section(
            "balances", lambda: client.balances(client_id=client_id),
            lambda p: (sum(len(e.balances) for e in p.items), balance_notes(p.items, len(p.bad_rows)))))
    sections.append(await _section("quotes", probe.quotes,
                                   lambda p: (len(p.items), quote_notes(p.items, p.raw or [], len(p.bad_rows)))))
    sections.append(await _section("instruments", probe.instruments,
                                   lambda p: (len(p.items), instrument_notes(p.items, len(p.bad_rows)))))
    sections.append(await _section("assets", client.assets,
                                   lambda p: (len(p.items), asset_notes(p.items, len(p.bad_rows)))))
    return _fields_verdict(probe, sections)


def _fields_verdict(probe: Probe, sections: list[tuple[str, int, list[Note]]]) -> Outcome:
    parts, fine, none = [], [], []
    facts: dict[str, Any] = {}
    for name, count, notes in sections:
        facts[name] = {"read": count, "notes": [note.text for note in notes]}
        if notes:
            parts.append(f"{name} ({count} read): " + "; ".join(note.text for note in notes) + ".")
        elif count:
            fine.append(name)
        else:
            none.append(name)
    if fine:
        parts.append(f"{', '.join(fine)}: every field the blotter reads is there.")
    if none:
        parts.append(f"Nothing to look at in {', '.join(none)}.")
    if not probe.signed:
        why = "signing failed" if probe.signed is False else "signing was not confirmed"
        parts.append(f"Orders, trades and balances not read: {why}.")
    said = [note for _, _, notes in sections for note in notes]
    warned = any(note.warn for note in said)
    action = NOTHING_TO_CHANGE if warned else ""
    if any(note.text.startswith("unreadable") for note in said):
        action += (" Values marked ? on screen could not be read: send the output of `blotter call GET <that "
                   "path>` to the blotter's maintainers.")
    if any(note.text.startswith("could not be read") for note in said):
        action = "A list could not be read at all: run blotter doctor again, and ask TrueX if it persists."
    return Outcome(Result.WARN if warned else Result.OK, " ".join(parts), action, facts)


# --- 10. instrument increments ------------------------------------------------------------------


async def check_increments(probe: Probe) -> Outcome:
    probe.require_reachable()
    instruments = (await probe.instruments()).items
    if not instruments:
        return Outcome(Result.WARN, "No instruments listed: nothing to check.", "", {"instruments": 0})
    both = [i for i in instruments if i.info.price_increment is not None and i.info.qty_increment is not None]
    probe.learnt["instruments_have_increments"] = len(both) == len(instruments)
    facts = {"instruments": len(instruments), "with_increments": len(both)}
    if len(both) == len(instruments):
        return Outcome(Result.OK, f"All {len(instruments)} instruments carry price_increment and qty_increment "
                       "(not documented): the ticket checks prices and quantities against them.", "", facts)
    effect = ("the blotter shows every digit the exchange sends and aligns columns to the decimals seen; the ticket "
              "cannot check increments, so an off-increment order is refused by the exchange, not the ticket.")
    action = "Nothing to change; know your instruments' tick and lot sizes, since the ticket cannot check them."
    if not both:
        return Outcome(Result.WARN, f"No instrument carries price_increment / qty_increment (they are not "
                       f"documented): {effect}", action, facts)
    without = [i.symbol for i in instruments if i not in both]
    return Outcome(Result.WARN, f"{len(without)} of {len(instruments)} instruments carry no price_increment / "
                   f"qty_increment ({_list(without)}): for those, {effect}", action, facts)


# --- 11. VWAP quote -----------------------------------------------------------------------------


def _quote_to_ask(quotes: Sequence[Any]) -> tuple[Any, Side, Decimal] | None:
    """An instrument with a book: its best offer's quantity to buy, else its best bid's to sell."""
    for side, level_of in ((Side.BUY, lambda q: q.info.best_ask), (Side.SELL, lambda q: q.info.best_bid)):
        for quote in quotes:
            level = level_of(quote)
            if level is not None and level.price is not None and level.qty:
                return quote, side, level.qty
    return None


async def check_vwap(probe: Probe) -> Outcome:
    probe.require_reachable()
    picked = _quote_to_ask((await probe.quotes()).items)
    if picked is None:
        return Outcome(Result.WARN, "No instrument has a book to quote against: not checked.", "", {"shape": None})
    quote, side, qty = picked
    client = probe.client()
    path = client.path("/markets/quote")
    request = VwapQuoteRequest(instrument_id=quote.id, qty=qty, side=side, qty_unit=QtyUnit.BASE)
    try:
        response = await client.request("POST", "/markets/quote", body=request.to_wire())
    except ApiError as error:
        if error.status in (404, 405):
            return Outcome(Result.WARN, f"No VWAP quote at POST {path} ({_detail(error)}): the ticket's VWAP "
                           "preview will not show.", "Nothing to change.", {"shape": None})
        if 400 <= error.status < 500 and error.status not in (401, 403, 429):
            return Outcome(Result.WARN, f"The v1.0.4 request (side, qty_unit) was refused: {_detail(error)}. The "
                           "ticket's VWAP preview will not show; nothing else is affected.",
                           "Send this output to the blotter's maintainers.", {"shape": None})
        raise
    data = response.data[0] if isinstance(response.data, list) and len(response.data) == 1 else response.data
    keys = sorted(data) if isinstance(data, dict) else []
    shape = "{" + ", ".join(keys) + "}"
    answer = VwapQuote.model_validate(data) if isinstance(data, dict) else VwapQuote()
    symbol = quote.symbol or quote.id
    asked = f"{side.value} {qty} {symbol}"
    facts = {"shape": keys, "asked": asked}
    if answer.price is not None and answer.qty is not None:
        probe.learnt["vwap_shape"] = "v1.0.4"
        return Outcome(Result.OK, f"POST {path} answers the v1.0.4 request (side, qty_unit) in the v1.0.4 shape "
                       f"{shape}: {asked} averages {answer.price}.", "", facts)
    if answer.quote is not None:
        probe.learnt["vwap_shape"] = "v1.0.3"
        return Outcome(Result.WARN, f"POST {path} answers in the older v1.0.3 shape {shape}: the ticket reads "
                       "`quote` as the average price and `buy_amount` as the quantity.", "Nothing to change.", facts)
    return Outcome(Result.WARN, f"POST {path} answered {shape}, which the ticket cannot read: its VWAP preview "
                   "will show nothing.", "Send this output to the blotter's maintainers.", facts)


# --- 12. rate limit -----------------------------------------------------------------------------


def dashboard_budget(probe: Probe) -> RequestBudget:
    """The budget the dashboard will keep to: the setting, tightened by what the server announced."""
    budget = RequestBudget(probe.settings.max_requests_per_minute)
    for seen in probe.log:
        if seen.status is not None:
            budget.observe(seen.headers, seen.status)
    return budget


async def check_rate_limit(probe: Probe) -> Outcome:
    answered = [seen for seen in probe.log if seen.status is not None]
    limited = [seen for seen in answered if seen.status == 429]
    budget = dashboard_budget(probe)
    announced = budget.announced
    poll = probe.settings.poll
    wanted = sum(60 / interval for interval in (poll.orders, poll.quotes, poll.trades, poll.balances))
    sent = f"this run's {len(probe.log)} request{'s' if len(probe.log) != 1 else ''}"
    if announced is not None and announced.limit is not None:
        left = f"remaining {announced.remaining}" if announced.remaining is not None else "no remaining"
        reset = f", reset in {announced.reset_seconds:g} s" if announced.reset_seconds is not None else ""
        meaning = f"The server announces x-ratelimit-limit {announced.limit} ({left}{reset} after {sent})."
        probe.learnt["rate_limit"] = {"limit": announced.limit, "remaining": announced.remaining,
                                      "reset_seconds": announced.reset_seconds}
    else:
        meaning = f"No x-ratelimit-* headers in the answers to {sent}."
    meaning += f" The dashboard will keep to {budget.describe()}."
    if wanted > budget.for_polling:
        meaning += (f" At the configured poll intervals its feeds would ask about {wanted:.0f} a minute, more than "
                    f"the {budget.for_polling} left for polling: it polls balances and trades less often first.")
    probe.learnt["budget_per_minute"] = budget.per_minute
    facts = {"limit": announced.limit if announced else None, "remaining": announced.remaining if announced else None,
             "reset_seconds": announced.reset_seconds if announced else None, "requests": len(probe.log),
             "answered_429": len(limited), "dashboard_per_minute": budget.per_minute}
    if limited:
        retry = limited[-1].headers.get("retry-after")
        said = f" (Retry-After {retry} s)" if retry else ""
        return Outcome(Result.WARN, f"{len(limited)} request(s) were answered 429 Too Many Requests{said}. {meaning}",
                       "Something else may be using this key's limit (another blotter, a script), or the limit is "
                       "tight: check, or lower max_requests_per_minute (TRUEX_MAX_REQUESTS_PER_MINUTE); run "
                       "blotter doctor again in a minute.", facts)
    if probe.held:
        return Outcome(Result.WARN, f"The doctor held back to stay within the limit, so some checks did not run. "
                       f"{meaning}", "Run blotter doctor again in a minute, with nothing else using this key.", facts)
    return Outcome(Result.OK, meaning, "", facts)


CheckFunction = Callable[[Probe], Awaitable[Outcome]]

# (id, title, function), in the order they run and are shown.
CHECKS: tuple[tuple[str, str, CheckFunction], ...] = (
    ("reachability", "Reachability", check_reachability),
    ("tls", "TLS", check_tls),
    ("clock", "Clock offset", check_clock),
    ("signing", "Signing", check_signing),
    ("api_versions", "API versions", check_versions),
    ("health", "Health", check_health),
    ("paging", "Paging", check_paging),
    ("trades_timestamp", "Trades timestamp", check_trades_timestamp),
    ("fields", "Fields", check_fields),
    ("increments", "Increments", check_increments),
    ("vwap_quote", "VWAP quote", check_vwap),
    ("rate_limit", "Rate limit", check_rate_limit),  # last: it reports on every request of the run
)
