"""The order ticket, headless: what the trader typed in, a validated `NewOrder` or specific errors out.

Amounts are parsed strictly: digits with at most one decimal point, optional thousands commas
("1,250.5"); no signs, exponents, NaN or Infinity. The ticket also works out the notional and the
distance from mid as the trader types.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from ..api.models import MarketQuote, NewOrder, OrderInfo
from .format import fmt_decimal, places_of
from .reference import Catalog

EXTERNAL_ID = re.compile(r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|[A-Za-z0-9._~-]{1,18})$")
EXTERNAL_ID_RULE = "a lowercase UUIDv4, or up to 18 of A-Z a-z 0-9 - _ . ~"
AMOUNT = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^\.\d+$")
SIDES = ("BUY", "SELL")
TYPES = ("LIMIT", "MARKET")
TIFS = ("GTC", "IOC")
STPS = ("", "NONE", "CANCEL_AGGRESSIVE", "CANCEL_BOTH")


def new_external_id() -> str:
    return str(uuid.uuid4())


def valid_external_id(value: str) -> bool:
    return bool(EXTERNAL_ID.match(value))


def parse_amount(text: str) -> Decimal:
    """A positive decimal from typed text; `ValueError` with a message a trader can act on."""
    text = text.strip()
    if not text:
        raise ValueError("required")
    if not AMOUNT.match(text.removeprefix("-")):
        raise ValueError("not a number")
    if text.startswith("-"):
        raise ValueError("must be greater than zero")  # a number, but a sign is never right here
    value = Decimal(text.replace(",", ""))
    if value <= 0:
        raise ValueError("must be greater than zero")
    return value


def check_increment(value: Decimal, increment: Decimal | None, symbol: str) -> str | None:
    if increment is None or increment <= 0:
        return None
    if value % increment == 0:
        return None
    places = places_of(increment)
    if value.as_tuple().exponent < -places:  # type: ignore[operator]
        return f"at most {places} decimals for {symbol}"
    return f"must be a multiple of {fmt_decimal(increment, places)} for {symbol}"


def mid_price(quote: MarketQuote | None) -> Decimal | None:
    if quote is None:
        return None
    bid = quote.info.best_bid.price if quote.info.best_bid else None
    ask = quote.info.best_ask.price if quote.info.best_ask else None
    if bid is not None and ask is not None:
        return (bid + ask) / 2
    last = quote.info.last_trade.price if quote.info.last_trade else None
    return bid or ask or last


def prefill_price(quote: MarketQuote | None, side: str) -> Decimal | None:
    """The quote of the chosen side: the bid for a buy, the ask for a sell (joining the book)."""
    if quote is None:
        return None
    level = quote.info.best_bid if side == "BUY" else quote.info.best_ask
    return level.price if level else None


@dataclass
class TicketInput:
    """Exactly what is in the form; kept as typed so a rejected form loses nothing."""

    instrument: str = ""  # symbol (or instrument id)
    side: str = "BUY"
    type: str = "LIMIT"
    tif: str = "GTC"
    qty: str = ""
    price: str = ""
    post_only: bool = False
    stp: str = ""  # "" leaves the client's own setting
    client_id: str = ""
    external_id: str = ""


@dataclass
class TicketCheck:
    order: NewOrder | None = None
    errors: dict[str, str] = field(default_factory=dict)
    qty: Decimal | None = None
    price: Decimal | None = None
    notional: Decimal | None = None
    mid: Decimal | None = None
    distance_pct: Decimal | None = None  # signed: above mid is positive

    @property
    def ok(self) -> bool:
        return self.order is not None and not self.errors


def check_ticket(ticket: TicketInput, catalog: Catalog, quotes: dict[str, MarketQuote]) -> TicketCheck:
    """Validate every field; errors are keyed by field name, each one specific."""
    result = TicketCheck()
    errors = result.errors
    instrument = catalog.by_symbol(ticket.instrument.strip()) or catalog.instruments.get(ticket.instrument.strip())
    if instrument is None:
        errors["instrument"] = "required" if not ticket.instrument.strip() else "unknown instrument"
    side = ticket.side.upper()
    if side not in SIDES:
        errors["side"] = "BUY or SELL"
    order_type = ticket.type.upper()
    if order_type not in TYPES:
        errors["type"] = "LIMIT or MARKET"
    tif = ticket.tif.upper()
    if tif not in TIFS:
        errors["tif"] = "GTC or IOC"
    if ticket.stp not in STPS:
        errors["stp"] = "NONE, CANCEL_AGGRESSIVE or CANCEL_BOTH"
    if not ticket.client_id.strip():
        errors["client_id"] = "required"
    external_id = ticket.external_id.strip()
    if not external_id:
        errors["external_id"] = "required"
    elif not valid_external_id(external_id):
        errors["external_id"] = f"must be {EXTERNAL_ID_RULE}"
    symbol = instrument.symbol if instrument else ""
    quote = quotes.get(instrument.id) if instrument else None
    result.mid = mid_price(quote)

    try:
        result.qty = parse_amount(ticket.qty)
    except ValueError as exc:
        errors["qty"] = str(exc)
    else:
        problem = check_increment(result.qty, instrument.info.qty_increment if instrument else None, symbol)
        if problem:
            errors["qty"] = problem

    if order_type == "LIMIT":
        try:
            result.price = parse_amount(ticket.price)
        except ValueError as exc:
            errors["price"] = "price is required for LIMIT orders" if str(exc) == "required" else str(exc)
        else:
            problem = check_increment(result.price, instrument.info.price_increment if instrument else None, symbol)
            if problem:
                errors["price"] = problem
    elif ticket.price.strip():
        errors["price"] = "MARKET orders take no price: clear it or choose LIMIT"
    if ticket.post_only and order_type == "MARKET":
        errors["post_only"] = "post-only (ALO) applies to LIMIT orders"

    reference = result.price if order_type == "LIMIT" else result.mid
    if result.qty is not None and reference is not None:
        result.notional = result.qty * reference
    if result.price is not None and result.mid:
        result.distance_pct = (result.price - result.mid) / result.mid * 100

    if not errors and instrument is not None and result.qty is not None:
        result.order = NewOrder(
            external_id=external_id,
            info=OrderInfo(
                client_id=ticket.client_id.strip(),
                instrument_id=instrument.id,
                side=side,
                type=order_type,
                qty=result.qty,
                price=result.price if order_type == "LIMIT" else None,
                tif=tif,
                exec_inst_flags=["ALO"] if ticket.post_only else None,
                stp=ticket.stp or None,
            ),
        )
    return result
