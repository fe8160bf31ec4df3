"""The simulated exchange's HTTP surface: the TrueX REST API as a Starlette app.

Both prefixes (`/api/v1`, `/v1/cefi`), plural and deprecated singular paths, both API versions,
HMAC auth with the 15 s / 1 s window, RFC 7807 errors, and validation like the real API.

`wire` picks the dialect (`dialect.py`): "sim" (the default) or "real", what the real exchange may
send. Besides the record shapes, real mode differs here in:
- paging: the `cursor` parameter is ignored (each answer starts from `skip` again, with the same
  `next_cursor`), as a gateway was seen doing; `skip`/`size` work in both versions and modes;
- VWAP quotes: the v1.0.3 request (no `side`/`qty_unit`) is a 400 naming the missing fields;
- health: degraded (HTTP 503) unless the `health` fault says "healthy".
In both modes `GET /health` answers `{status, timestamp, service}` (503 when degraded), and
`POST markets/quote` with `side` and `qty_unit` answers v1.0.4 `{qty, price}`, plus `notional` and
`notional_residual` under v2026_01_23.

The WebSocket stream API (`streaming.py`) is served at each prefix itself (`/api/v1`, `/v1/cefi`).
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from email.utils import formatdate
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from ..api.models import ModifyInfo, NewTransfer, OrderInfo
from . import dialect
from .dialect import REAL, RequestIds, check_wire, to_wire
from .engine import Exchange, SimError
from .fault_injection import FaultConfig, FaultMiddleware
from .signing import DEMO_CREDENTIALS, AuthFailure, AcceptedKey, verify
from .streaming import StreamHub

PREFIXES = ("/api/v1", "/v1/cefi")
V2024 = "v2024_01_01"
V2026 = "v2026_01_23"
VERSIONS = (V2024, V2026)
DEPRECATION = "Fri, 23 Jan 2026 00:00:00 GMT"
SUNSET = "Wed, 05 Aug 2026 00:00:00 GMT"
NS_DIGITS = re.compile(r"^[0-9]{19}$")
EXTERNAL_ID = re.compile(r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|[A-Za-z0-9._~-]{1,18})$")
ENUMS = {
    "side": ("BUY", "SELL"),
    "type": ("LIMIT", "MARKET"),
    "tif": ("GTC", "IOC"),
    "stp": ("NONE", "CANCEL_AGGRESSIVE", "CANCEL_BOTH"),
    "qty_unit": ("BASE", "QUOTE"),
}


@dataclass
class Call:
    """One request as the handlers see it."""

    request: Request
    version: str
    body: bytes
    client_ids: set[str]  # the clients this key may act for

    @property
    def query(self):
        return self.request.query_params

    def json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.body or b"null")
        except ValueError:
            raise SimError(400, "Malformed JSON", "the request body is not valid JSON") from None
        if not isinstance(value, dict):
            raise SimError(400, "Malformed JSON", "the request body must be a JSON object")
        return value


@dataclass
class Listing:
    """A list answer that pages (skip/size or cursor)."""

    items: list[Any]


@dataclass
class Reply:
    """An answer with a status other than 200 that is still not a problem (a degraded health)."""

    body: Any
    status: int = 200


def _decimal(value: Any, name: str, *, positive: bool = True) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise SimError(400, f"Invalid {name}", f"{name} must be a decimal string")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SimError(400, f"Invalid {name}", f"{name} is not a number: {str(value)[:40]!r}") from None
    if not number.is_finite() or (positive and number <= 0):
        raise SimError(400, f"Invalid {name}", f"{name} must be greater than zero")
    return number


def _plain(value: Decimal) -> str:
    """A decimal string without trailing zeros or exponent ("1.5", "0", "97000")."""
    return format(value.normalize(), "f")


def _enum(value: Any, name: str) -> str:
    if value not in ENUMS[name]:
        raise SimError(400, f"Invalid {name}", f"{name} must be one of {', '.join(ENUMS[name])}")
    return value


def _int_param(call: Call, name: str, default: int, low: int, high: int) -> int:
    raw = call.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise SimError(400, f"Invalid {name}", f"{name} must be an integer from {low} to {high}")
    return int(raw)


def _ns_param(call: Call, name: str = "timestamp", required: bool = True) -> int:
    raw = call.query.get(name)
    if raw is None:
        if required:
            raise SimError(400, f"Missing {name}", f"{name} (19-digit epoch nanoseconds) is required")
        return 0
    if not NS_DIGITS.match(raw):
        raise SimError(400, f"Invalid {name}", f"{name} must be 19 digits of epoch nanoseconds")
    return int(raw)


def _csv(call: Call, name: str) -> set[str] | None:
    raw = call.query.get(name)
    return {part.strip() for part in raw.split(",") if part.strip()} if raw else None


def _clients(call: Call) -> set[str]:
    wanted = _csv(call, "client_id")
    if wanted is None:
        return call.client_ids
    if wanted - call.client_ids:
        raise SimError(403, "Forbidden", "client_id includes clients this key cannot access")
    return wanted


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text.startswith("o") and text[1:].isdigit():
            return int(text[1:])
    except (ValueError, UnicodeDecodeError):
        pass
    raise SimError(400, "Invalid cursor", "cursor is not one this server issued")


class Simulator:
    """Holds the exchange, credentials and faults; builds the Starlette app."""

    def __init__(
        self,
        exchange: Exchange,
        credentials: AcceptedKey = DEMO_CREDENTIALS,
        faults: FaultConfig | None = None,
        lenient_userid: bool = False,
        wire: str | None = None,
    ) -> None:
        self.exchange = exchange
        self.credentials = credentials
        self.faults = faults or FaultConfig()
        self.lenient_userid = lenient_userid
        self.wire = check_wire(wire or exchange.wire)  # None: the exchange's own mode
        self.request_ids = RequestIds(exchange.seed)
        self.stream = StreamHub(exchange, credentials, self.faults, self.wire, self.server_seconds)

    # --- time -----------------------------------------------------------------------------------

    def server_seconds(self) -> float:
        return time.time() + self.faults.clock_skew_seconds

    def _headers(self, version: str) -> dict[str, str]:
        headers = {"Date": formatdate(self.server_seconds(), usegmt=True)}
        if version == V2024:
            headers["Deprecation"] = DEPRECATION
            headers["Sunset"] = SUNSET
        return headers

    # --- answers --------------------------------------------------------------------------------

    def problem(self, request: Request, version: str, status: int, title: str, detail: str | None = None) -> Response:
        body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "instance": request.url.path}
        if detail:
            body["detail"] = detail
        payload = {"error": body} if version == V2026 else body
        return JSONResponse(payload, status_code=status, headers=self._headers(version),
                            media_type="application/problem+json")

    def _page(self, call: Call, items: list[Any]) -> tuple[list[Any], dict[str, Any]]:
        size = _int_param(call, "size", 10, 1, 100)
        offset = _int_param(call, "skip", 0, 0, 2_147_483_647)
        cursor = call.query.get("cursor")
        if cursor and call.version == V2026 and self.wire != REAL:  # the real gateway ignores it
            offset = _decode_cursor(cursor)
        more = offset + size < len(items)
        return items[offset : offset + size], dialect.pagination(
            self.wire, size, _encode_cursor(offset + size) if more else None
        )

    def success(self, call: Call, result: Any) -> Response:
        status = 200
        if isinstance(result, Reply):
            result, status = result.body, result.status
        page = None
        if isinstance(result, Listing):
            result, page = self._page(call, result.items)
        elif isinstance(result, list):
            page = dialect.pagination(self.wire, len(result), None)
        data = to_wire(result, self.wire)
        if call.version == V2026:
            data = dialect.envelope(self.wire, data, page, self.request_ids)
        return JSONResponse(data, status_code=status, headers=self._headers(call.version))

    def endpoint(
        self, handler: Callable[[Call], Awaitable[Any] | Any], *, auth: bool = True, userid_optional: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            version = request.headers.get("x-truex-version") or V2024
            if version not in VERSIONS:
                return self.problem(request, V2024, 400, "Unsupported API version",
                                    f"X-Truex-Version must be one of {', '.join(VERSIONS)}")
            body = await request.body()
            if auth:
                try:
                    verify(
                        {k.lower(): v for k, v in request.headers.items()}, request.method, request.url.path, body,
                        self.server_seconds(), self.credentials, userid_optional=userid_optional,
                        lenient_userid=self.lenient_userid,
                    )
                except AuthFailure as failure:
                    return self.problem(request, version, 401, failure.title, failure.detail)
            call = Call(request, version, body, set(self.exchange.accounts))
            try:
                result = handler(call)
                if hasattr(result, "__await__"):
                    result = await result
                return self.success(call, result)
            except SimError as error:
                return self.problem(request, version, error.status, error.title, error.detail)

        return run

    # --- handlers -------------------------------------------------------------------------------

    def health(self, call: Call) -> Reply:
        status = self.faults.health or ("degraded" if self.wire == REAL else "healthy")
        return Reply(dialect.health_body(status, self.server_seconds()), 503 if status == "degraded" else 200)

    def versions(self, call: Call) -> list[dict]:
        return [
            {"version": V2024, "status": "deprecated", "deprecation": DEPRECATION, "sunset": SUNSET},
            {"version": V2026, "status": "current"},
        ]

    def assets(self, call: Call) -> list:
        wanted_id, name = call.query.get("id"), call.query.get("name")
        return [a for a in self.exchange.assets.values()
                if (wanted_id is None or a.id == wanted_id) and (name is None or a.name == name)]

    def instruments(self, call: Call) -> list:
        wanted_id, symbol = call.query.get("id"), call.query.get("symbol")
        return [i for i in self.exchange.instruments()
                if (wanted_id is None or i.id == wanted_id) and (symbol is None or symbol in i.symbol)]

    def quotes(self, call: Call) -> list:
        wanted = call.query.get("instrument_id")
        if wanted is not None:
            self.exchange.check_instrument(wanted)
        return [q for q in self.exchange.quotes() if wanted is None or q.id == wanted]

    def vwap(self, call: Call) -> dict:
        body = call.json()
        if not isinstance(body.get("instrument_id"), str):
            raise SimError(400, "Missing instrument_id", "instrument_id is required")
        qty = _decimal(body.get("qty"), "qty")
        missing = [name for name in ("side", "qty_unit") if body.get(name) in (None, "")]
        if len(missing) == 2 and self.wire != REAL:  # the v1.0.3 request: buy `qty` of quote asset
            quote, amount = self.exchange.vwap(body["instrument_id"], qty)
            return {"quote": format(quote, "f"), "buy_amount": format(amount, "f")}
        if missing:
            raise SimError(400, f"Missing {' and '.join(missing)}",
                           "side (BUY|SELL) and qty_unit (BASE|QUOTE) are required (API v1.0.4)")
        fill = self.exchange.vwap_quote(body["instrument_id"], qty, _enum(body["side"], "side"),
                                        _enum(body["qty_unit"], "qty_unit"))
        answer = {"qty": _plain(fill.qty), "price": _plain(fill.price)}
        if call.version == V2026:
            answer["notional"] = _plain(fill.notional)
            answer["notional_residual"] = _plain(fill.residual)
        return answer

    def clients(self, call: Call) -> list:
        wanted_id, mnemonic = call.query.get("id"), call.query.get("mnemonic")
        return [c for c in self.exchange.clients()
                if (wanted_id is None or c.id == wanted_id) and (mnemonic is None or c.info.mnemonic == mnemonic)]

    def patch_client(self, call: Call) -> Any:
        body = call.json()
        info = body.get("info")
        if not isinstance(body.get("id"), str) or not isinstance(info, dict):
            raise SimError(400, "Invalid request", "id and info are required")
        stp = info.get("self_trade_prevention")
        if stp not in ENUMS["stp"]:
            raise SimError(400, "Invalid self_trade_prevention", f"must be one of {', '.join(ENUMS['stp'])}")
        if body["id"] not in call.client_ids:
            raise SimError(403, "Forbidden", "this key cannot modify that client")
        return self.exchange.patch_client(body["id"], stp)

    def create_order(self, call: Call) -> Any:
        body = call.json()
        external_id = body.get("external_id")
        if not isinstance(external_id, str) or not external_id:
            raise SimError(400, "Missing external_id", "external_id is required")
        if not EXTERNAL_ID.match(external_id):
            raise SimError(400, "Invalid external_id",
                           "external_id must be a lowercase UUIDv4 or at most 18 of [A-Za-z0-9-_.~]")
        info = body.get("info")
        if not isinstance(info, dict):
            raise SimError(400, "Missing info", "info (the order) is required")
        for name in ("client_id", "instrument_id", "side", "type", "qty"):
            if info.get(name) in (None, ""):
                raise SimError(400, f"Missing {name}", f"info.{name} is required")
        client_id = str(info["client_id"])
        if client_id not in call.client_ids:
            raise SimError(403, "Forbidden", f"this key cannot trade for client {client_id}")
        order_type = _enum(info["type"], "type")
        values: dict[str, Any] = {
            "client_id": client_id,
            "instrument_id": str(info["instrument_id"]),
            "side": _enum(info["side"], "side"),
            "type": order_type,
            "qty": _decimal(info["qty"], "qty"),
            "tif": _enum(info.get("tif") or "GTC", "tif"),
        }
        if order_type == "LIMIT":
            if info.get("price") in (None, ""):
                raise SimError(400, "Missing price", "info.price is required for LIMIT orders")
            values["price"] = _decimal(info["price"], "price")
        flags = info.get("exec_inst_flags") or []
        if not isinstance(flags, list) or any(flag != "ALO" for flag in flags):
            raise SimError(400, "Invalid exec_inst_flags", "the only instruction is ALO")
        values["exec_inst_flags"] = flags
        if info.get("stp"):
            values["stp"] = _enum(info["stp"], "stp")
        self.exchange.market(values["instrument_id"])
        return self.exchange.create_order(external_id, OrderInfo(**values))

    def modify_order(self, call: Call) -> Any:
        body = call.json()
        info = body.get("info")
        if not isinstance(info, dict) or not info.get("client_id"):
            raise SimError(400, "Missing info.client_id", "info.client_id is required")
        if str(info["client_id"]) not in call.client_ids:
            raise SimError(403, "Forbidden", "this key cannot act for that client")
        values: dict[str, Any] = {"client_id": str(info["client_id"])}
        if info.get("new_qty") not in (None, ""):
            values["new_qty"] = _decimal(info["new_qty"], "new_qty")
        if info.get("new_price") not in (None, ""):
            values["new_price"] = _decimal(info["new_price"], "new_price")
        if info.get("new_type") not in (None, "", "INVALID"):
            if info["new_type"] != "MARKET":
                raise SimError(400, "Invalid new_type", "an order can only be converted to MARKET")
            values["new_type"] = "MARKET"
        order_id, external_id = body.get("id"), body.get("external_id")
        if external_id is not None and (not isinstance(external_id, str) or not EXTERNAL_ID.match(external_id)):
            raise SimError(400, "Invalid external_id",
                           "external_id must be a lowercase UUIDv4 or at most 18 of [A-Za-z0-9-_.~]")
        modify = ModifyInfo(**values)
        if order_id:
            return self.exchange.modify_order(str(order_id), "exchange", modify, new_external_id=external_id)
        if external_id:
            return self.exchange.modify_order(external_id, "client", modify)
        raise SimError(400, "Missing order reference", "give id (exchange) or external_id")

    def _id_type(self, call: Call) -> str:
        id_type = call.query.get("id_type") or "exchange"
        if id_type not in ("client", "exchange"):
            raise SimError(400, "Invalid id_type", "id_type must be client or exchange")
        return id_type

    def cancel_order(self, call: Call) -> Any:
        ref_id = call.request.path_params["ref_id"]
        return self.exchange.cancel_order(ref_id, self._id_type(call), call.client_ids)

    def order_status(self, call: Call) -> list:
        ref_id = call.request.path_params["ref_id"]
        order = self.exchange.find(ref_id, self._id_type(call), call.client_ids)
        if order.client_id not in call.client_ids:
            raise SimError(404, "Order not found", f"no order with id {ref_id}")
        return [order.to_model()]

    def active_orders(self, call: Call) -> list:
        order_id = call.query.get("id")
        if order_id is not None and not order_id.isdigit():
            raise SimError(400, "Invalid id", "id must be a numeric exchange order id")
        return self.exchange.active_orders(_clients(call), order_id)

    def list_orders(self, call: Call) -> Listing:
        columns: dict[str, set[str]] = {}
        raw = call.query.get("query")
        if raw:
            try:
                query = json.loads(raw)
                for column in query.get("columns", []):
                    allowed: set[str] = set()
                    for condition in column.get("filter", []):
                        allowed |= {str(v) for v in condition.get("$in", [])}
                        if "$eq" in condition:
                            allowed.add(str(condition["$eq"]))
                    columns[column["name"]] = allowed
            except (ValueError, AttributeError, KeyError, TypeError):
                raise SimError(400, "Invalid query", "query must be a JSON column filter") from None
        return Listing(self.exchange.list_orders(_clients(call), columns))

    def trades(self, call: Call) -> Listing:
        return Listing(self.exchange.trades_since(_ns_param(call), _clients(call)))

    def activity(self, call: Call) -> Listing:
        since = _ns_param(call)
        clients = _clients(call)
        orders = _csv(call, "order_id")
        kinds = _csv(call, "msg_type")
        order_external = None
        if orders is not None:
            order_external = {
                (o.client_id, o.external_id) for o in self.exchange.orders.values() if o.id in orders
            }
        rows = [
            a for a in self.exchange.activity_since(since)
            if a.client_id in clients
            and (kinds is None or str(a.msg_type) in kinds)
            and (order_external is None or (a.client_id, a.external_id) in order_external)
        ]
        return Listing(rows)

    def balances(self, call: Call) -> list:
        clients = _clients(call)
        asset_id, asset_name = call.query.get("asset_id"), call.query.get("asset_name")
        result = []
        for entity in self.exchange.balances():
            if entity.id not in clients:
                continue
            lines = [
                line for line in entity.balances
                if (asset_id is None or line.asset_id == asset_id)
                and (asset_name is None or self.exchange.assets[line.asset_id].name == asset_name)
            ]
            result.append(entity.model_copy(update={"balances": lines}))
        return result

    def transfers(self, call: Call) -> list:
        wanted = call.query.get("transfer_id")
        asset_id = call.query.get("asset_id")
        return [t for t in self.exchange.list_transfers(call.client_ids)
                if (wanted is None or t.id == wanted) and (asset_id is None or (t.request and t.request.asset_id == asset_id))]

    def active_transfers(self, call: Call) -> list:
        wanted = call.query.get("transfer_id")
        return [t for t in self.exchange.list_transfers(call.client_ids, active_only=True)
                if wanted is None or t.id == wanted]

    def create_transfer(self, call: Call) -> Any:
        body = call.json()
        for name in ("asset_id", "client_id", "amount", "type"):
            if body.get(name) in (None, ""):
                raise SimError(400, f"Missing {name}", f"{name} is required")
        if body["type"] not in ("DEPOSIT", "WITHDRAWL"):
            raise SimError(400, "Invalid type", "type must be DEPOSIT or WITHDRAWL")
        if str(body["client_id"]) not in call.client_ids:
            raise SimError(403, "Forbidden", "this key cannot act for that client")
        request = NewTransfer(asset_id=str(body["asset_id"]), client_id=str(body["client_id"]),
                              amount=_decimal(body["amount"], "amount"), type=body["type"])
        return self.exchange.create_transfer(request)

    # --- test support ---------------------------------------------------------------------------

    async def sim_faults(self, request: Request) -> Response:
        if request.method == "PUT":
            try:
                self.faults.update(json.loads(await request.body() or b"{}"))
            except (ValueError, TypeError) as exc:
                return JSONResponse({"title": "Invalid faults", "detail": str(exc)}, status_code=400)
        elif request.method == "DELETE":
            self.faults.clear()
        return JSONResponse(self.faults.as_dict())

    async def sim_requests(self, request: Request) -> Response:
        with self.exchange.lock:
            return JSONResponse(list(self.exchange.requests))

    async def sim_step(self, request: Request) -> Response:
        count = int(request.query_params.get("n", "1"))
        for _ in range(max(0, min(count, 10_000))):
            self.exchange.step()
        return JSONResponse({"steps": self.exchange.steps})

    # --- assembly -------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        table: list[tuple[str, tuple[str, ...], Callable, dict]] = [
            ("GET", ("/health",), self.health, {"auth": False}),
            ("GET", ("/versions",), self.versions, {"auth": False}),
            ("GET", ("/assets", "/asset"), self.assets, {"auth": False}),
            ("GET", ("/instruments", "/instrument"), self.instruments, {"auth": False}),
            ("GET", ("/markets/quote", "/market/quote"), self.quotes, {"auth": False}),
            ("POST", ("/markets/quote", "/market/quote"), self.vwap, {"auth": False}),
            ("GET", ("/clients", "/client"), self.clients, {"userid_optional": True}),
            ("PATCH", ("/clients", "/client"), self.patch_client, {}),
            ("GET", ("/orders/active", "/order/active"), self.active_orders, {}),
            ("GET", ("/orders/status/{ref_id}", "/order/status/{ref_id}"), self.order_status, {}),
            ("GET", ("/orders/list", "/order"), self.list_orders, {}),
            ("GET", ("/orders/trade", "/order/trade"), self.trades, {}),
            ("GET", ("/orders/activity", "/order/activity"), self.activity, {}),
            ("POST", ("/orders", "/order"), self.create_order, {}),
            ("PATCH", ("/orders", "/order"), self.modify_order, {}),
            ("DELETE", ("/orders/{ref_id}", "/order/{ref_id}"), self.cancel_order, {}),
            ("GET", ("/balances", "/balance"), self.balances, {}),
            ("GET", ("/transfers/active", "/transfer/active"), self.active_transfers, {}),
            ("GET", ("/transfers", "/transfer"), self.transfers, {}),
            ("POST", ("/transfers", "/transfer"), self.create_transfer, {}),
        ]
        routes: list[BaseRoute] = [WebSocketRoute(prefix, self.stream.endpoint) for prefix in PREFIXES]
        routes += [
            Route("/_sim/faults", self.sim_faults, methods=["GET", "PUT", "DELETE"]),
            Route("/_sim/orders/requests", self.sim_requests, methods=["GET"]),
            Route("/_sim/step", self.sim_step, methods=["POST"]),
        ]
        for method, paths, handler, options in table:
            endpoint = self.endpoint(handler, **options)
            for prefix in PREFIXES:
                for path in paths:
                    routes.append(Route(prefix + path, endpoint, methods=[method]))
        return routes

    def app(self) -> Starlette:
        async def http_error(request: Request, exc: Exception) -> Response:
            status = exc.status_code if isinstance(exc, HTTPException) else 500
            title = {404: "Not Found", 405: "Method Not Allowed"}.get(status, "Error")
            version = request.headers.get("x-truex-version") or V2024
            return self.problem(request, version if version in VERSIONS else V2024, status, title,
                                f"{request.method} {request.url.path}")

        app = Starlette(routes=self.routes(), exception_handlers={404: http_error, 405: http_error})
        return app


def exchange_app(
    exchange: Exchange,
    *,
    credentials: AcceptedKey = DEMO_CREDENTIALS,
    faults: FaultConfig | None = None,
    lenient_userid: bool = False,
    wire: str | None = None,
) -> FaultMiddleware:
    """The ASGI app: the API wrapped in fault injection. `wire` None speaks the exchange's mode."""
    simulator = Simulator(exchange, credentials, faults, lenient_userid, wire)
    return FaultMiddleware(simulator.app(), simulator.faults, exchange.seed, simulator.server_seconds)
