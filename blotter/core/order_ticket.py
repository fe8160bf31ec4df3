"""The order ticket and the modify form, headless: what the trader typed in, a validated order or
one message per field out, in the trader's words ("Quantity must be greater than zero").

Amounts are parsed strictly: digits with at most one decimal point, optional thousands commas
("1,250.5"); no signs, exponents, NaN or Infinity. Both forms also work out the notional and the
distance from mid as the trader types, and restate the order for a guard's question (`OrderTerms`).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from ..api.models import MarketQuote, NewOrder, Order, OrderInfo
from .format import fmt_amount, fmt_decimal, fmt_derived, places_of
from .reference import Catalog

EXTERNAL_ID = re.compile(r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|[A-Za-z0-9._~-]{1,18})$")
EXTERNAL_ID_RULE = "a lowercase UUIDv4, or up to 18 of A-Z a-z 0-9 - _ . ~"
AMOUNT = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^\.\d+$")
SIDES = ("BUY", "SELL")
TYPES = ("LIMIT", "MARKET")
TIFS = ("GTC", "IOC")
STPS = ("", "NONE", "CANCEL_AGGRESSIVE", "CANCEL_BOTH")
# Field ids in reading order, with the names the trader sees on the form.
LABELS = {
    "instrument": "Instrument", "side": "Side", "type": "Type", "tif": "TIF", "qty": "Quantity", "price": "Price",
    "stp": "STP", "post_only": "Post-only", "client_id": "Client", "external_id": "External id",
}
CHANGE = "change"  # check_modify's key for "nothing would change"


def new_external_id() -> str:
    return str(uuid.uuid4())


def valid_external_id(value: str) -> bool:
    return bool(EXTERNAL_ID.match(value))


def parse_amount(text: str) -> Decimal:
    """A positive decimal from typed text; `ValueError` carrying the rest of a sentence that starts
    with the field's name ("is not a number")."""
    text = text.strip()
    if not text:
        raise ValueError("is required")
    if not AMOUNT.match(text.removeprefix("-")):
        raise ValueError("is not a number (digits and one decimal point, like 0.25)")
    if text.startswith("-"):
        raise ValueError("must be greater than zero")  # a number, but a sign is never right here
    value = Decimal(text.replace(",", ""))
    if value <= 0:
        raise ValueError("must be greater than zero")
    return value


def check_increment(label: str, value: Decimal, increment: Decimal | None, symbol: str) -> str | None:
    """The message when `value` is not a whole number of `increment`s, else None."""
    if increment is None or increment <= 0 or value % increment == 0:
        return None
    places = places_of(increment)
    if value.as_tuple().exponent < -places:  # type: ignore[operator]
        if places == 0:
            return f"{label} must be a whole number for {symbol}"
        return f"{label}: at most {places} decimal{'' if places == 1 else 's'} for {symbol}"
    return f"{label} must be a multiple of {fmt_amount(increment)} for {symbol}"


def check_amount(
    label: str, text: str, increment: Decimal | None, symbol: str
) -> tuple[Decimal | None, str | None]:
    """(the amount, its message): the amount is kept when only its increment is wrong, so the
    figures still show while the trader fixes the last digit."""
    try:
        value = parse_amount(text)
    except ValueError as exc:
        return None, f"{label} {exc}"
    return value, check_increment(label, value, increment, symbol)


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


def distance_from(price: Decimal | None, mid: Decimal | None) -> Decimal | None:
    """Signed percent: above mid is positive."""
    if price is None or not mid:
        return None
    return (price - mid) / mid * 100


@dataclass(frozen=True)
class OrderTerms:
    """An order restated for the trader: in a guard's question, a refusal, the figures line."""

    side: str
    qty: Decimal
    symbol: str
    price: Decimal | None  # None: a MARKET order
    notional: Decimal | None = None
    quote_asset: str = ""
    mid: Decimal | None = None
    distance_pct: Decimal | None = None
    expected_price: Decimal | None = None  # MARKET: what the notional was worked out at
    expected_from: str = ""  # "VWAP" or "mid"
    current: str = ""  # modify: the terms it replaces, e.g. "0.0100 at 97,000.0"

    def headline(self) -> str:
        if self.price is not None:
            at = f"at {fmt_amount(self.price)}"
        elif self.expected_price is not None:
            at = f"at MARKET (expected {fmt_amount(self.expected_price)}, {self.expected_from})"
        else:
            at = "at MARKET (no expected price)"
        now = f" (now {self.current})" if self.current else ""
        return f"{self.side} {fmt_amount(self.qty)} {self.symbol} {at}{now}"

    def figures(self) -> str:
        """'Notional 97.00 PYUSD · mid 97,000.25 · 0.01% below mid'."""
        parts = []
        if self.notional is not None:
            at = f" at {self.expected_from}" if self.price is None and self.expected_from else ""
            parts.append(f"Notional {fmt_derived(self.notional, 2)} {self.quote_asset}".rstrip() + at)
        if self.mid is not None:
            parts.append(f"mid {fmt_amount(self.mid)}")
        if self.distance_pct is not None:
            where = "above" if self.distance_pct > 0 else "below"
            parts.append(f"{fmt_decimal(abs(self.distance_pct), 2)}% {where} mid")
        return " · ".join(parts)


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
    errors: dict[str, str] = field(default_factory=dict)  # field id -> one sentence, in form order
    qty: Decimal | None = None
    price: Decimal | None = None
    notional: Decimal | None = None
    mid: Decimal | None = None
    distance_pct: Decimal | None = None  # signed: above mid is positive
    expected_price: Decimal | None = None  # MARKET: the VWAP when known, else the mid
    expected_from: str = ""
    terms: OrderTerms | None = None  # once side, quantity and instrument are readable

    @property
    def ok(self) -> bool:
        return self.order is not None and not self.errors


def _in_form_order(errors: dict[str, str]) -> dict[str, str]:
    order = list(LABELS) + [CHANGE]
    return dict(sorted(errors.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)))


def check_ticket(
    ticket: TicketInput, catalog: Catalog, quotes: dict[str, MarketQuote], *, expected_price: Decimal | None = None
) -> TicketCheck:
    """Validate every field. `expected_price` is the VWAP for this size (MARKET), when known: the
    notional and the guards then use it instead of the mid."""
    result = TicketCheck()
    errors: dict[str, str] = {}
    name = ticket.instrument.strip()
    instrument = catalog.by_symbol(name) or catalog.instruments.get(name)
    if instrument is None:
        errors["instrument"] = "Instrument is required" if not name else f"Instrument {name} is not listed"
    side = ticket.side.upper()
    if side not in SIDES:
        errors["side"] = "Side must be BUY or SELL"
    order_type = ticket.type.upper()
    if order_type not in TYPES:
        errors["type"] = "Type must be LIMIT or MARKET"
    tif = ticket.tif.upper()
    if tif not in TIFS:
        errors["tif"] = "TIF must be GTC or IOC"
    if ticket.stp not in STPS:
        errors["stp"] = "STP must be NONE, CANCEL_AGGRESSIVE, CANCEL_BOTH or the client setting"
    if not ticket.client_id.strip():
        errors["client_id"] = "Client is required"
    external_id = ticket.external_id.strip()
    if not external_id:
        errors["external_id"] = "External id is required"
    elif not valid_external_id(external_id):
        errors["external_id"] = f"External id must be {EXTERNAL_ID_RULE}"
    symbol = instrument.symbol if instrument else ""
    result.mid = mid_price(quotes.get(instrument.id) if instrument else None)

    result.qty, problem = check_amount("Quantity", ticket.qty, instrument.info.qty_increment if instrument else None,
                                       symbol)
    if problem:
        errors["qty"] = problem
    if order_type == "LIMIT":
        result.price, problem = check_amount(
            "Price", ticket.price, instrument.info.price_increment if instrument else None, symbol
        )
        if problem:
            errors["price"] = "Price is required for a LIMIT order" if not ticket.price.strip() else problem
    elif ticket.price.strip():
        errors["price"] = "Price: a MARKET order takes no price (clear it, or choose LIMIT)"
    if ticket.post_only and order_type == "MARKET":
        errors["post_only"] = "Post-only (ALO) applies to LIMIT orders only"

    if order_type == "MARKET":
        result.expected_price = expected_price if expected_price is not None else result.mid
        result.expected_from = "VWAP" if expected_price is not None else ("mid" if result.mid is not None else "")
        reference = result.expected_price
        # The VWAP's distance from mid is what a fat finger looks like on a MARKET order; the mid's is 0.
        result.distance_pct = distance_from(expected_price, result.mid)
    else:
        reference = result.price
        result.distance_pct = distance_from(result.price, result.mid)
    if result.qty is not None and reference is not None:
        result.notional = result.qty * reference
    if instrument is not None and result.qty is not None and side in SIDES:
        result.terms = OrderTerms(
            side=side, qty=result.qty, symbol=symbol, price=result.price if order_type == "LIMIT" else None,
            notional=result.notional, quote_asset=catalog.asset_name(instrument.info.quote_asset_id), mid=result.mid,
            distance_pct=result.distance_pct, expected_price=result.expected_price,
            expected_from=result.expected_from,
        )

    result.errors = _in_form_order(errors)
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


@dataclass
class ModifyCheck:
    """A modify as typed: both the new quantity and the new price (the unchanged one at its
    current value), since the exchange is sent both."""

    errors: dict[str, str] = field(default_factory=dict)
    qty: Decimal | None = None
    price: Decimal | None = None
    notional: Decimal | None = None
    mid: Decimal | None = None
    distance_pct: Decimal | None = None
    changed: bool = False
    terms: OrderTerms | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.qty is not None


def check_modify(order: Order, qty: str, price: str, catalog: Catalog, quote: MarketQuote | None) -> ModifyCheck:
    """Validate a modify of `order` to `qty` at `price` (both as typed; the form opens with the
    current values). The new quantity must exceed what is already filled, and something must change."""
    result = ModifyCheck()
    errors: dict[str, str] = {}
    instrument_id = order.order_info.instrument_id
    symbol = catalog.symbol(instrument_id)
    result.qty, problem = check_amount("Quantity", qty, catalog.qty_increment(instrument_id), symbol)
    if problem:
        errors["qty"] = problem
    elif result.qty is not None and result.qty <= order.executed_qty:
        errors["qty"] = f"Quantity must be more than the {fmt_amount(order.executed_qty)} already filled"
    if order.price is None and not price.strip():
        result.price = None  # a MARKET order has no price to change
    else:
        result.price, problem = check_amount("Price", price, catalog.price_increment(instrument_id), symbol)
        if problem:
            errors["price"] = problem
    result.changed = result.qty != order.qty or result.price != order.price
    if not errors and not result.changed:
        errors[CHANGE] = "Nothing to change: edit the quantity or the price"
    result.mid = mid_price(quote)
    result.distance_pct = distance_from(result.price, result.mid)
    if result.qty is not None and result.price is not None:
        result.notional = result.qty * result.price
    if result.qty is not None:
        instrument = catalog.instruments.get(instrument_id or "")
        quote_asset = catalog.asset_name(instrument.info.quote_asset_id) if instrument else ""
        current = f"{fmt_amount(order.qty)} at {fmt_amount(order.price) if order.price is not None else 'MARKET'}"
        result.terms = OrderTerms(
            side=str(order.order_info.side or ""), qty=result.qty, symbol=symbol, price=result.price,
            notional=result.notional, quote_asset=quote_asset, mid=result.mid, distance_pct=result.distance_pct,
            current=current,
        )
    result.errors = _in_form_order(errors)
    return result
