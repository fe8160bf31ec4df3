"""The async TrueX REST client: one shared `httpx.AsyncClient`, typed methods, paging helpers."""

from __future__ import annotations

import asyncio
import json
import random
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from . import _errors as errors
from ._auth import ServerClock, TrueXAuth
from ._credentials import Credentials
from ._defaults import DEFAULT_API_PREFIX, DEFAULT_API_VERSION, DEFAULT_BASE_URL, KNOWN_PREFIXES
from ._budget import ORDER_ACTION, RequestBudget, current_priority, current_tag
from .models import (
    DONE_STATUSES,
    Activity,
    ApiVersion,
    Asset,
    Balances,
    Client,
    ClientPatch,
    Health,
    IdType,
    Instrument,
    MarketQuote,
    ModifyOrder,
    NewOrder,
    NewTransfer,
    Order,
    ProblemDetails,
    Trade,
    Transfer,
    VersionInfo,
    VwapQuote,
    VwapQuoteRequest,
)

MAX_PAGE_SIZE = 100
ORDER_PATHS = ("/orders", "/order")  # POST, PATCH and DELETE here change orders

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class RetryPolicy:
    """Retries for idempotent reads only. Order-changing calls are never retried here."""

    attempts: int = 3
    backoff: float = 0.2
    max_backoff: float = 2.0
    max_retry_after: float = 5.0  # a longer Retry-After is raised to the caller instead

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        # "Full jitter": spreads retries of many clients over the whole window.
        return random.uniform(0, min(self.max_backoff, self.backoff * 2**attempt))


def default_timeout() -> httpx.Timeout:
    return httpx.Timeout(connect=3.0, read=10.0, write=5.0, pool=5.0)


@dataclass
class Notices:
    """RFC 8594 headers last seen from the server (set when the API version is deprecated)."""

    deprecation: str | None = None
    sunset: str | None = None


@dataclass
class Response:
    """A decoded response: the payload with any v2026 envelope removed, and its paging cursor."""

    data: Any
    next_cursor: str | None
    headers: httpx.Headers
    enveloped: bool = False  # the answer came as {"data": ...}


@dataclass
class Page(Generic[M]):
    """One page of a list endpoint. Rows that failed validation are kept in `bad_rows`, not dropped.

    `raw` is the list the server sent (to tell a page that repeats the previous one); `notice` says
    what went wrong while walking pages (e.g. paging that did not advance)."""

    items: list[M]
    next_cursor: str | None = None
    bad_rows: list[tuple[Any, str]] = field(default_factory=list)
    raw: list[Any] | None = field(default=None, repr=False, compare=False)
    notice: str | None = None
    enveloped: bool | None = None  # the answer's shape: {"data": ...} (True) or a bare list (False)

    def __iter__(self) -> Iterator[M]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _problem(body: Any) -> ProblemDetails:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]  # v2026_01_23 wraps problem details
    if isinstance(body, dict):
        try:
            return ProblemDetails.model_validate(body)
        except ValidationError:
            pass
    return ProblemDetails()


class _RowCache:
    """Reuses the model of a row identical to one in the previous answer of the same listing: an
    unchanged order in every poll costs one dict comparison instead of a validation (measured: most
    of a 200-order poll). Safe because models are never mutated.

    Two generations: the rows of the last complete listing and those of the one being read.
    `listing_done()` forgets what the new listing did not repeat, so an order that left the active
    list is dropped at the next poll instead of staying until a size limit (a session left open all
    day saw it grow by every order the desk ever placed). `limit` bounds a listing never finished."""

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self._previous: dict[tuple[type, str], tuple[dict[str, Any], Any]] = {}
        self._current: dict[tuple[type, str], tuple[dict[str, Any], Any]] = {}

    def __len__(self) -> int:
        return len(self._previous.keys() | self._current.keys())

    def parse(self, model: type[M], row: Any) -> M:
        key = row.get("id") if isinstance(row, dict) else None
        if not isinstance(key, str):
            return model.model_validate(row)
        slot = (model, key)
        hit = self._current.get(slot) or self._previous.get(slot)
        parsed = hit[1] if hit is not None and hit[0] == row else model.model_validate(row)
        if len(self._current) >= self.limit:
            self._current.clear()
        self._current[slot] = (row, parsed)
        return parsed

    def listing_done(self) -> None:
        """The listing was read to its end: what it did not list is gone."""
        self._previous, self._current = self._current, {}


def _keys(items: list[Any]) -> set[str]:
    return {key for item in items if (key := getattr(item, "key", None)) is not None}


def _mostly_the_same(keys: set[str], before: set[str]) -> bool:
    return bool(keys) and len(keys & before) * 2 > len(keys)


def _tls_context(base_url: str) -> ssl.SSLContext | bool:
    """Verification is never switched off. Over https, httpx's default: certifi's CA bundle. A plain
    http base URL (the demo, a simulator on loopback) never speaks TLS: its client gets a context
    that trusts no certificate at all, so that any TLS would fail, instead of loading the bundle
    (about 30 ms on the demo's path to its first data)."""
    if not base_url.startswith("http://"):
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # hostname check and CERT_REQUIRED by default; no CA loaded


class TrueXClient:
    """Async client for the TrueX CeFi REST API.

    Every method maps one endpoint. List endpoints return a `Page`; the `iter_*`/`all_*` helpers
    walk every page in either API version (skip/size for v2024_01_01, cursors for v2026_01_23).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        api_prefix: str = DEFAULT_API_PREFIX,
        credentials: Credentials | None = None,
        api_version: str = DEFAULT_API_VERSION,
        timeout: httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: ServerClock | None = None,
        budget: RequestBudget | None = None,
        paging: str = "cursor",
    ) -> None:
        self.base_url, self.api_prefix = split_base_url(base_url, api_prefix)
        self.budget = budget
        self.paging = paging  # the v2026 paging parameter that works: "cursor", or "skip" where cursors are ignored
        self.credentials = credentials
        self.api_version = api_version
        self.retry = retry or RetryPolicy()
        self.clock = clock or ServerClock()
        self.notices = Notices()
        # Only the polled listings reuse models; a one-off read (an order's status, trades,
        # activity) is parsed once and never asked again in the same form.
        self._listings = {name: _RowCache() for name in ("orders", "quotes", "balances")}
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=TrueXAuth(credentials, self.clock, api_version),
            timeout=timeout or default_timeout(),
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "blotter/0.1"},
            verify=_tls_context(self.base_url),
        )

    async def __aenter__(self) -> TrueXClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def enveloped(self) -> bool:
        return self.api_version != ApiVersion.V2024_01_01

    def path(self, path: str) -> str:
        """The URL path for an endpoint; a path that already carries a prefix (ours, or another the
        exchange serves: `blotter call GET /api/v1/...`) is kept as it is."""
        path = "/" + path.lstrip("/")
        for prefix in (self.api_prefix, *KNOWN_PREFIXES):
            if prefix and (path == prefix or path.startswith(prefix + "/")):
                return path
        return self.api_prefix + path

    # --- transport ------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        retries: bool = True,
        exact: bool = False,
    ) -> Response:
        """Send one request. GETs are retried on connect errors, timeouts, 5xx and 429.

        `exact`: JSON numbers with a fraction are read as `Decimal` (what the typed methods parse
        into models); without it as floats, for callers that print or re-serialise the body."""
        method = method.upper()
        url_path = self.path(path)
        query = {k: v for k, v in (params or {}).items() if v is not None}
        content = None
        headers = {}
        if body is not None:
            # The exact bytes sent are the bytes signed.
            content = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        attempts = self.retry.attempts if method == "GET" and retries else 1
        priority = ORDER_ACTION if _changes_orders(method, url_path) else current_priority()
        tag = current_tag()
        for attempt in range(attempts):
            last = attempt == attempts - 1
            if self.budget is not None:
                await self.budget.acquire(priority)
            if tag is not None:
                tag.sent += 1
            try:
                response = await self._http.request(method, url_path, params=query, content=content, headers=headers)
            except httpx.HTTPError as exc:
                error = self._transport_error(exc, method, url_path)
                if last:
                    raise error from None
                await asyncio.sleep(self.retry.delay(attempt, None))
                continue
            if self.budget is not None:
                self.budget.observe(response.headers, response.status_code)
            retryable = response.status_code >= 500 or response.status_code == 429
            if retryable and not last:
                retry_after = _retry_after(response)
                if retry_after is None or retry_after <= self.retry.max_retry_after:
                    await asyncio.sleep(self.retry.delay(attempt, retry_after))
                    continue
            return self._decode(response, method, url_path, exact)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _transport_error(exc: httpx.HTTPError, method: str, path: str) -> errors.TrueXError:
        name = type(exc).__name__
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
            return errors.ConnectError(f"Cannot connect: {name}", method=method, path=path)
        if isinstance(exc, httpx.TimeoutException):
            return errors.RequestTimeout(f"No answer in time: {name}", method=method, path=path)
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            return errors.ConnectionLost(f"Connection lost: {name}", method=method, path=path)
        return errors.TransportError(f"Transport error: {name}", method=method, path=path)

    def _decode(self, response: httpx.Response, method: str, path: str, exact: bool = False) -> Response:
        if "deprecation" in response.headers or "sunset" in response.headers:
            self.notices.deprecation = response.headers.get("deprecation")
            self.notices.sunset = response.headers.get("sunset")
        try:
            # A number sent as JSON (not the documented string) keeps every digit: never a float.
            payload = json.loads(response.content, parse_float=Decimal if exact else float) if response.content else None
        except ValueError:
            if response.is_success:
                raise errors.ResponseFormatError("Response is not valid JSON", method=method, path=path) from None
            payload = None
        if not response.is_success:
            problem = _problem(payload)
            cls = errors.api_error_class(response.status_code)
            kwargs: dict[str, Any] = {}
            if cls is errors.RateLimited:
                kwargs["retry_after"] = _retry_after(response)
            raise cls(
                response.status_code,
                problem.title or response.reason_phrase,
                problem.detail,
                type=problem.type,
                instance=problem.instance,
                extensions=problem.extensions,
                method=method,
                path=path,
                payload=payload,
                **kwargs,
            )
        next_cursor = None
        enveloped = False
        # Liberal: unwrap an envelope whenever `data` is there, whatever else sits beside it.
        if isinstance(payload, dict) and "data" in payload:
            enveloped = True
            pagination = payload.get("pagination")
            if isinstance(pagination, dict):
                cursor = pagination.get("next_cursor")
                next_cursor = str(cursor) if cursor not in (None, "") else None
            payload = payload["data"]
        return Response(payload, next_cursor, response.headers, enveloped)

    # --- decoding -------------------------------------------------------------------------------

    @staticmethod
    def _one(model: type[M], response: Response, method: str, path: str) -> M:
        data = response.data
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise errors.ResponseFormatError(
                f"Unexpected {model.__name__} shape: {exc.error_count()} error(s)", method=method, path=path
            ) from None

    def _page(
        self, model: type[M], response: Response, method: str, path: str, cache: _RowCache | None = None
    ) -> Page[M]:
        data = response.data
        if data is None:
            # `null`, an empty body or {"data": null}: how some servers send an empty list.
            return Page(items=[], next_cursor=response.next_cursor, raw=[], enveloped=response.enveloped)
        if isinstance(data, dict):
            # A single object where a list was expected is accepted only if it is a valid row.
            try:
                if not _shares_a_field(model, data):
                    raise ValueError
                return Page(items=[model.model_validate(data)], next_cursor=response.next_cursor,
                            enveloped=response.enveloped)
            except (ValidationError, ValueError):
                raise errors.ResponseFormatError(
                    f"Expected a list of {model.__name__}", method=method, path=path
                ) from None
        if not isinstance(data, list):
            raise errors.ResponseFormatError(f"Expected a list of {model.__name__}", method=method, path=path)
        page: Page[M] = Page(items=[], next_cursor=response.next_cursor, raw=data, enveloped=response.enveloped)
        for row in data:
            if isinstance(row, dict) and not _shares_a_field(model, row):
                page.bad_rows.append((row, f"no {model.__name__} field in it"))
                continue
            try:
                page.items.append(cache.parse(model, row) if cache is not None else model.model_validate(row))
            except ValidationError as exc:
                page.bad_rows.append((row, f"{exc.error_count()} invalid field(s): {_field_names(exc)}"))
        return page

    async def _get_page(
        self, model: type[M], path: str, params: dict[str, Any] | None = None, cache: _RowCache | None = None
    ) -> Page[M]:
        response = await self.request("GET", path, params=params, exact=True)
        return self._page(model, response, "GET", self.path(path), cache)

    async def _send_one(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        response = await self.request(method, path, exact=True, **kwargs)
        return self._one(model, response, method, self.path(path))

    # --- paging ---------------------------------------------------------------------------------

    async def iter_pages(
        self,
        fetch: Callable[..., Awaitable[Page[M]]],
        *,
        page_size: int = MAX_PAGE_SIZE,
        max_pages: int = 100_000,
        **params: Any,
    ) -> AsyncIterator[Page[M]]:
        """Walk every page: skip/size in v2024_01_01; in v2026_01_23 the cursor, or skip where the
        server ignores the cursor (the request parameter for it is not documented, §6.8).

        A page that repeats the previous one (same records, or a cursor seen before) is never
        counted twice: the walk tries skip instead of the cursor once, else stops, and the last
        page yielded carries a `notice` naming what was tried. An answer with no cursor to follow
        that may go on (a bare list: the version header was ignored, §4; or a full page) is walked
        on by skip, and its page says so."""
        mode = self.paging if self.enveloped else "skip"
        offset = 0
        cursor: str | None = None
        seen: set[str] = set()
        previous: list[Any] | None = None
        previous_items: list[Any] = []
        for _ in range(max_pages):
            if mode == "cursor":
                page = await fetch(size=page_size, cursor=cursor, **params)
            else:
                page = await fetch(size=page_size, skip=offset, **params)
            rows = len(page.items) + len(page.bad_rows)
            # The same page again, or (in a list that changes between asks) mostly the same records:
            # the server ignored the cursor or the skip. (Keys are read only from a second page on:
            # most listings are one page, asked every second.)
            repeated = previous is not None and (
                (page.raw is not None and page.raw == previous)
                or _mostly_the_same(_keys(page.items), _keys(previous_items)))
            if rows and repeated:
                if mode == "cursor":
                    mode = self.paging = "skip"  # the server ignored the cursor: ask by offset instead
                    continue
                tried = "cursor, then skip" if self.enveloped else "skip"
                yield Page(items=[], notice=f"paging did not advance (tried {tried}): the rest was not read")
                return
            offset += rows
            previous, previous_items = page.raw, page.items
            if mode == "cursor" and page.next_cursor is not None and page.next_cursor in seen:
                page.notice = f"paging did not advance (cursor {page.next_cursor!r} came back): the rest was not read"
                yield page
                return
            # Exactly a page and no cursor: there may be more. More rows than asked for: the server
            # ignored the size and sent them all (asking again by skip, in a churning list, would
            # count orders twice).
            full = rows == page_size and page.next_cursor is None
            if self.enveloped and page.enveloped is False:
                mode = "skip"  # a bare list: the server ignored the version header (§4, §6.8)
                if full:
                    page.notice = page.notice or (
                        "the exchange answered without the v2026 envelope (version header ignored?): paged by skip")
            elif mode == "cursor" and full:
                mode = "skip"
                page.notice = page.notice or "a full page came without a cursor: the rest paged by skip"
            yield page
            if mode == "cursor":
                if page.next_cursor is None:
                    return
                seen.add(page.next_cursor)
                cursor = page.next_cursor
            elif not rows or rows > page_size or (rows < page_size and page.next_cursor is None):
                return

    async def collect(self, fetch: Callable[..., Awaitable[Page[M]]], **params: Any) -> Page[M]:
        """Every page of a list endpoint gathered into one `Page`."""
        total: Page[M] = Page(items=[])
        async for page in self.iter_pages(fetch, **params):
            total.items.extend(page.items)
            total.bad_rows.extend(page.bad_rows)
            total.notice = page.notice or total.notice
        return total

    # --- service --------------------------------------------------------------------------------

    async def health(self) -> Health:
        """The service's health; a degraded service answers 503 with the same body (§6.2)."""
        try:
            return await self._send_one(Health, "GET", "/health", retries=False)
        except errors.ServerError as error:
            body = error.payload
            if isinstance(body, dict) and isinstance(body.get("data"), dict):
                body = body["data"]
            if isinstance(body, dict) and isinstance(body.get("status"), str):
                return Health.model_validate(body)
            raise

    async def versions(self) -> Page[VersionInfo]:
        return await self._get_page(VersionInfo, "/versions")

    async def sync_clock(self) -> float:
        """Measure the offset from the server's clock now and return it. Any answer carries a
        `Date`, so a degraded (503) health is as good as a healthy one here."""
        try:
            await self.request("GET", "/health", retries=False)
        except errors.ApiError:
            pass
        return self.clock.offset

    # --- reference data -------------------------------------------------------------------------

    async def assets(self, *, id: str | None = None, name: str | None = None) -> Page[Asset]:
        return await self._get_page(Asset, "/assets", {"id": id, "name": name})

    async def instruments(self, *, id: str | None = None, symbol: str | None = None) -> Page[Instrument]:
        return await self._get_page(Instrument, "/instruments", {"id": id, "symbol": symbol})

    # --- market data ----------------------------------------------------------------------------

    async def quotes(self, *, instrument_id: str | None = None) -> Page[MarketQuote]:
        cache = self._listings["quotes"]
        page = await self._get_page(MarketQuote, "/markets/quote", {"instrument_id": instrument_id}, cache)
        if instrument_id is None:
            cache.listing_done()
        return page

    async def vwap_quote(
        self, instrument_id: str, qty: Decimal, *, side: str = "BUY", qty_unit: str = "BASE"
    ) -> VwapQuote:
        """The volume-weighted price of taking `qty` (in `qty_unit`s) on `side` from the book."""
        request = VwapQuoteRequest(instrument_id=instrument_id, qty=qty, side=side, qty_unit=qty_unit)
        return await self._send_one(VwapQuote, "POST", "/markets/quote", body=request.to_wire())

    # --- clients --------------------------------------------------------------------------------

    async def clients(self, *, id: str | None = None, mnemonic: str | None = None) -> Page[Client]:
        return await self._get_page(Client, "/clients", {"id": id, "mnemonic": mnemonic})

    async def patch_client(self, patch: ClientPatch) -> Client:
        return await self._send_one(Client, "PATCH", "/clients", body=patch.to_wire())

    # --- orders ---------------------------------------------------------------------------------

    async def create_order(self, order: NewOrder) -> Order:
        """Never retried: on a timeout, reconcile with `order_status(external_id, IdType.CLIENT)`."""
        return await self._send_one(Order, "POST", "/orders", body=order.to_wire())

    async def modify_order(self, modify: ModifyOrder) -> Order:
        return await self._send_one(Order, "PATCH", "/orders", body=modify.to_wire())

    async def cancel_order(self, ref_id: str, id_type: IdType | str = IdType.EXCHANGE) -> Order:
        return await self._send_one(Order, "DELETE", f"/orders/{ref_id}", params={"id_type": IdType(id_type).value})

    async def active_orders_page(
        self, *, id: str | None = None, size: int | None = None, skip: int | None = None, cursor: str | None = None
    ) -> Page[Order]:
        params = {"id": id, "size": size, "skip": skip, "cursor": cursor}
        return await self._get_page(Order, "/orders/active", params, self._listings["orders"])

    async def active_orders(self, *, id: str | None = None) -> Page[Order]:
        """Every active order. v2024_01_01 answers in one array; v2026_01_23 may page it."""
        if not self.enveloped:
            page = await self.active_orders_page(id=id)
        else:
            page = await self.collect(self.active_orders_page, id=id)
        if id is None:
            self._listings["orders"].listing_done()
        return page

    async def order_status(self, ref_id: str, id_type: IdType | str = IdType.EXCHANGE) -> Page[Order]:
        return await self._get_page(Order, f"/orders/status/{ref_id}", {"id_type": IdType(id_type).value})

    async def list_orders(
        self,
        *,
        query: dict[str, Any] | str | None = None,
        size: int = 10,
        skip: int | None = None,
        cursor: str | None = None,
    ) -> Page[Order]:
        """Orders placed in the last 24 hours; `query` is the JSON column filter."""
        if isinstance(query, dict):
            query = json.dumps(query, separators=(",", ":"))
        params = {"query": query, "size": size, "skip": skip, "cursor": cursor}
        return await self._get_page(Order, "/orders/list", params)

    async def done_orders(self) -> Page[Order]:
        """Orders of the last 24 hours that are done: FILLED, CANCELED, REJECTED, every page.

        The status filter's syntax is a reconstruction (reference §2.5, M): a server that refuses it
        is asked again without a filter, and one that ignores it is filtered here; `notice` says so."""
        query = {"columns": [{"name": "status", "filter": [{"$in": [str(status) for status in DONE_STATUSES]}]}]}
        notice = None
        try:
            page = await self.collect(self.list_orders, query=query)
        except errors.BadRequest:
            page = await self.collect(self.list_orders)
            notice = "the exchange refused the status filter: filtered here"
        done = [order for order in page.items if not order.is_open]  # status read in any case (§3)
        if len(done) < len(page.items) and notice is None:
            notice = f"the exchange sent {len(page.items) - len(done)} orders that are not done: left out"
        return Page(items=done, bad_rows=page.bad_rows, notice=page.notice or notice)

    async def trades(
        self,
        timestamp: int,
        *,
        size: int = 10,
        skip: int | None = None,
        cursor: str | None = None,
        client_ids: list[str] | None = None,
    ) -> Page[Trade]:
        """The client's trades of the last 24 hours at or after `timestamp` (epoch ns)."""
        params = {
            "timestamp": f"{timestamp:019d}",
            "size": size,
            "skip": skip,
            "cursor": cursor,
            "client_id": ",".join(client_ids) if client_ids else None,
        }
        return await self._get_page(Trade, "/orders/trade", params)

    async def all_trades(self, timestamp: int, *, client_ids: list[str] | None = None) -> Page[Trade]:
        return await self.collect(self.trades, timestamp=timestamp, client_ids=client_ids)

    async def activity(
        self,
        timestamp: int,
        *,
        size: int = 10,
        skip: int | None = None,
        cursor: str | None = None,
        client_ids: list[str] | None = None,
        order_ids: list[str] | None = None,
        msg_types: list[str] | None = None,
    ) -> Page[Activity]:
        params = {
            "timestamp": f"{timestamp:019d}",
            "size": size,
            "skip": skip,
            "cursor": cursor,
            "client_id": ",".join(client_ids) if client_ids else None,
            "order_id": ",".join(order_ids) if order_ids else None,
            "msg_type": ",".join(msg_types) if msg_types else None,
        }
        return await self._get_page(Activity, "/orders/activity", params)

    async def all_activity(self, timestamp: int, **filters: Any) -> Page[Activity]:
        return await self.collect(self.activity, timestamp=timestamp, **filters)

    # --- balances and transfers -----------------------------------------------------------------

    async def balances(
        self, *, asset_id: str | None = None, asset_name: str | None = None, client_id: str | None = None
    ) -> Page[Balances]:
        params = {"asset_id": asset_id, "asset_name": asset_name, "client_id": client_id}
        cache = self._listings["balances"]
        page = await self._get_page(Balances, "/balances", params, cache)
        cache.listing_done()
        return page

    async def transfers(self, *, transfer_id: str | None = None, asset_id: str | None = None) -> Page[Transfer]:
        return await self._get_page(Transfer, "/transfers", {"transfer_id": transfer_id, "asset_id": asset_id})

    async def active_transfers(self, *, transfer_id: str | None = None) -> Page[Transfer]:
        return await self._get_page(Transfer, "/transfers/active", {"transfer_id": transfer_id})

    async def create_transfer(self, transfer: NewTransfer) -> Transfer:
        return await self._send_one(Transfer, "POST", "/transfers", body=transfer.to_wire())


def split_base_url(base_url: str, api_prefix: str) -> tuple[str, str]:
    """(base URL without a trailing slash, "/prefix"). A base URL pasted with the API prefix on
    it (the docs write `https://prod.truex.co/api/v1/`) loses the prefix once, so requests never
    go to `/api/v1/api/v1/...`; a known prefix in the URL wins over the default one."""
    base = base_url.strip().rstrip("/")
    prefix = "/" + api_prefix.strip("/") if api_prefix.strip("/") else ""
    parsed = httpx.URL(base) if base else None
    path = parsed.path.rstrip("/") if parsed is not None else ""
    for known in KNOWN_PREFIXES:
        if path.endswith(known):
            base = base[: len(base) - len(known)].rstrip("/")
            if prefix == DEFAULT_API_PREFIX:
                prefix = known
            break
    return base, prefix


_FIELD_NAMES: dict[type, frozenset[str]] = {}


def _shares_a_field(model: type[BaseModel], row: dict[str, Any]) -> bool:
    """Does `row` carry any field of `model`? Every field of some records is optional, so an
    object with none of them (`{"unexpected": true}`) would otherwise read as an empty record."""
    names = _FIELD_NAMES.get(model)
    if names is None:
        found: set[str] = set()
        for name, info in model.model_fields.items():
            found.add(name)
            alias = info.validation_alias
            choices = getattr(alias, "choices", None)
            found.update(c for c in (choices or [alias, info.alias]) if isinstance(c, str))
        names = _FIELD_NAMES[model] = frozenset(found)
    return not names.isdisjoint(row)


def _changes_orders(method: str, path: str) -> bool:
    return method in ("POST", "PATCH", "DELETE") and any(
        path.endswith(p) or (p + "/") in path for p in ORDER_PATHS
    )


def _field_names(exc: ValidationError) -> str:
    names = {".".join(str(part) for part in error["loc"]) or "<root>" for error in exc.errors()}
    return ", ".join(sorted(names)[:5])
