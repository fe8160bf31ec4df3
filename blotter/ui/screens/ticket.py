"""The order ticket: a modal form that checks each field as the trader types, shows the expected
price of a MARKET order for its size (VWAP), and never loses what was typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Select, Static

from ...api.models import MarketQuote, NewOrder, VwapQuote
from ...config import Guards
from ...core.format import fmt_amount
from ...core.order_actions import Outcome, OutcomeKind
from ...core.order_ticket import (
    LABELS,
    STPS,
    TicketCheck,
    TicketInput,
    check_amount,
    check_ticket,
    new_external_id,
    prefill_price,
)
from ...core.reference import Catalog
from ..widgets.in_order_input import InOrderInput
from .order_form import FormCheck, OrderForm

STP_CHOICES = [("client setting" if stp == "" else stp, stp) for stp in STPS]
KEEP_OPEN = {
    OutcomeKind.REJECTED: "Rejected by the exchange",
    OutcomeKind.NOT_SENT: "Not sent (the exchange was not reached); you can submit again",
    OutcomeKind.ABSENT: "Not placed (checked with the exchange); submit again to retry with the same external id",
    OutcomeKind.UNKNOWN: "Outcome unknown: check the blotter. A resubmit keeps this external id, so it cannot "
                         "create a second order",
}
HINT = ("Focus starts in Quantity. tab / shift+tab: next / previous field; enter or space opens a list, "
        "arrows choose; space ticks; ctrl+s submits; esc closes.")
VWAP_DELAY = 0.3  # seconds after the last keystroke before asking for the expected price

# (instrument id, side, qty) -> the exchange's VWAP for taking that size
VwapSource = Callable[[str, str, Decimal], Awaitable[VwapQuote]]
VwapKey = tuple[str, str, Decimal]


class TicketScreen(OrderForm):
    """`n`: a new order. Dismisses with the `Outcome` once the exchange has the order."""

    FIELDS = tuple(LABELS)
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close", id="ticket.close"),
        Binding("ctrl+s", "submit", "Submit", id="ticket.submit"),
    ]
    DEFAULT_CSS = """
    TicketScreen #external_id { column-span: 3; }
    TicketScreen #expected { color: $text-muted; }
    """

    def __init__(
        self,
        catalog: Catalog,
        quotes: Callable[[], Mapping[str, MarketQuote]],
        guards: Guards,
        submit: Callable[[NewOrder], Awaitable[Outcome]],
        *,
        client_id: str = "",
        instrument: str | None = None,
        side: str = "BUY",
        price: Decimal | None = None,
        vwap_quote: VwapSource | None = None,
        vwap_delay: float = VWAP_DELAY,
    ) -> None:
        super().__init__(guards)
        self.catalog = catalog
        self.quotes = quotes
        self.submit_order = submit
        self.client_id = client_id
        self.initial_instrument = instrument
        self.initial_side = side
        self.initial_price = price  # e.g. the ask, for a buy from a quote; else the side's own quote
        self.vwap_quote = vwap_quote
        self.vwap_delay = vwap_delay
        self._prefilled = ""  # the price we last put in; anything else in the box was typed
        self._stash = ("", False)  # LIMIT-only price and post-only, kept while MARKET is chosen
        self._vwap: tuple[VwapKey | None, Decimal | None, str] = (None, None, "")  # key, price, why not
        self._vwap_busy = False
        self._vwap_again = False
        self._vwap_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        symbols = sorted(i.symbol for i in self.catalog.instruments.values())
        first = self.initial_instrument if self.initial_instrument in symbols else (symbols[0] if symbols else None)

        def label(name: str, text: str | None = None) -> Static:
            return Static(LABELS[name] if text is None else text, id=f"label-{name}", classes="label")

        with Vertical(id="dialog"):
            yield Static("New order", classes="heading")
            yield Static(HINT, classes="hint")
            with Grid(id="form"):
                yield label("instrument")
                yield Select([(s, s) for s in symbols], value=first or Select.NULL, allow_blank=False, id="instrument")
                yield label("side")
                yield Select([("BUY", "BUY"), ("SELL", "SELL")], value=self.initial_side, allow_blank=False, id="side")
                yield label("type")
                yield Select([("LIMIT", "LIMIT"), ("MARKET", "MARKET")], value="LIMIT", allow_blank=False, id="type")
                yield label("tif")
                yield Select([("GTC", "GTC"), ("IOC", "IOC")], value="GTC", allow_blank=False, id="tif")
                yield label("qty")
                yield InOrderInput(placeholder="base quantity", id="qty")
                yield label("price")
                yield InOrderInput(placeholder="limit price", id="price")
                yield label("stp")
                yield Select(STP_CHOICES, value="", allow_blank=False, id="stp")
                yield label("post_only", "")
                yield Checkbox("Post-only (ALO)", id="post_only")
                yield label("client_id")
                yield InOrderInput(self.client_id, placeholder="client id", id="client_id")
                yield Static("")
                yield Static("")
                yield label("external_id", "Ext. id")
                yield InOrderInput(new_external_id(), id="external_id")
            yield Static("", id="errors", markup=False)
            yield Static("", id="figures", markup=False)
            yield Static("", id="expected", markup=False)
            yield Static("", id="result", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Close (esc)", id="close")
                yield Button("Submit (ctrl+s)", id="submit", variant="primary")

    def prepare(self) -> None:
        self._prefill_price()
        self.query_one("#qty", Input).focus()

    # --- reading and showing ---------------------------------------------------------------------

    def read_form(self) -> TicketInput:
        def select(name: str) -> str:
            value = self.query_one(f"#{name}", Select).value
            return "" if value is Select.NULL else str(value)

        return TicketInput(
            instrument=select("instrument"),
            side=select("side"),
            type=select("type"),
            tif=select("tif"),
            qty=self.query_one("#qty", Input).value,
            price=self.query_one("#price", Input).value,
            post_only=self.query_one("#post_only", Checkbox).value,
            stp=select("stp"),
            client_id=self.query_one("#client_id", Input).value,
            external_id=self.query_one("#external_id", Input).value,
        )

    def check(self) -> TicketCheck:
        key, price, _ = self._vwap
        expected = price if key is not None and key == self._vwap_wanted() else None
        return check_ticket(self.read_form(), self.catalog, dict(self.quotes()), expected_price=expected)

    def show_figures(self, check: FormCheck) -> None:
        assert isinstance(check, TicketCheck)
        if check.terms is not None:
            figures = check.terms.figures()
        else:
            figures = f"mid {fmt_amount(check.mid)}" if check.mid is not None else ""
        self.query_one("#figures", Static).update(figures)
        self._show_expected()

    def _show_expected(self) -> None:
        box = self.query_one("#expected", Static)
        form = self.read_form()
        box.display = form.type == "MARKET"
        if not box.display:
            return
        wanted = self._vwap_wanted()
        key, price, why_not = self._vwap
        if self.vwap_quote is None:
            text = "Expected price: no VWAP source; the notional uses the mid"
        elif wanted is None:
            text = "Expected price: type a valid quantity"
        elif key != wanted:
            text = "Expected price: asking the exchange…"
        elif price is None:
            text = f"{why_not} (the notional uses the mid)"
        else:
            instrument = self.catalog.instruments.get(wanted[0])
            size = f"{fmt_amount(wanted[2])} {self.catalog.asset_name(instrument.info.base_asset_id) if instrument else ''}"
            text = f"Expected avg price {fmt_amount(price)} for {size.strip()} (VWAP)"
        box.update(text)

    # --- keeping what was typed while type, side and instrument change ----------------------------

    def _set_price(self, text: str) -> None:
        box = self.query_one("#price", Input)
        with box.prevent(Input.Changed):
            box.value = text

    def _prefill_price(self) -> None:
        """The price box follows the quote of the chosen side until the trader types a price."""
        form = self.read_form()
        box = self.query_one("#price", Input)
        if form.type == "MARKET" or box.value not in ("", self._prefilled):
            return
        instrument = self.catalog.by_symbol(form.instrument)
        if self.initial_price is not None and (form.instrument, form.side) == (self.initial_instrument,
                                                                               self.initial_side):
            price = self.initial_price  # the price the ticket was opened at (a buy at the ask...)
        else:
            price = prefill_price(self.quotes().get(instrument.id), form.side) if instrument else None
        if price is not None:
            self._prefilled = fmt_amount(price, grouping=False)
            self._set_price(self._prefilled)

    def _type_chosen(self, order_type: str) -> None:
        """MARKET takes no price and no post-only: put them aside, and back if LIMIT comes back."""
        price = self.query_one("#price", Input)
        post_only = self.query_one("#post_only", Checkbox)
        market = order_type == "MARKET"
        if market and not price.disabled:
            self._stash = (price.value, post_only.value)
            self._set_price("")
            with post_only.prevent(Checkbox.Changed):
                post_only.value = False
        elif not market and price.disabled:
            kept_price, kept_post_only = self._stash
            self._set_price(kept_price)
            with post_only.prevent(Checkbox.Changed):
                post_only.value = kept_post_only
        price.disabled = market  # a disabled field is skipped by tab
        price.placeholder = "none for MARKET" if market else "limit price"
        post_only.disabled = market

    def _edited(self, widget: Widget) -> None:
        if widget.id == "type":
            self._type_chosen(self.read_form().type)
        if widget.id in ("instrument", "side", "type"):
            self._prefill_price()
        super()._edited(widget)
        self._want_vwap()

    # --- the expected price of a MARKET order (VWAP) ---------------------------------------------

    def _vwap_wanted(self) -> VwapKey | None:
        form = self.read_form()
        if form.type != "MARKET" or self.vwap_quote is None:
            return None
        instrument = self.catalog.by_symbol(form.instrument)
        if instrument is None:
            return None
        qty, problem = check_amount("Quantity", form.qty, instrument.info.qty_increment, instrument.symbol)
        if qty is None or problem:
            return None
        return instrument.id, form.side, qty

    def _want_vwap(self) -> None:
        """Debounced: ask once typing stops, not on every keystroke."""
        if self._vwap_timer is not None:
            self._vwap_timer.stop()
            self._vwap_timer = None
        wanted = self._vwap_wanted()
        if wanted is not None and wanted != self._vwap[0]:
            self._vwap_timer = self.set_timer(self.vwap_delay, self._ask_vwap, name="ticket-vwap")

    def _ask_vwap(self) -> None:
        self._vwap_timer = None
        if self._vwap_busy:
            self._vwap_again = True  # one request at a time; ask again when it answers
            return
        wanted = self._vwap_wanted()
        if wanted is None or wanted == self._vwap[0]:
            return
        self._vwap_busy = True
        self.run_worker(self._fetch_vwap(wanted), group="ticket-vwap", exit_on_error=False)

    async def _fetch_vwap(self, key: VwapKey) -> None:
        assert self.vwap_quote is not None
        price, why_not = None, ""
        try:
            answer = await self.vwap_quote(*key)
            price = answer.average_price
            why_not = "" if price is not None else "no VWAP: the answer had no price"
        except Exception as error:  # noqa: BLE001 - a missing estimate must never break the ticket
            why_not = f"no VWAP: {getattr(error, 'title', '') or error}"
        finally:
            self._vwap_busy = False
        if key == self._vwap_wanted():  # else stale: the trader has typed on since
            self._vwap = (key, price, why_not)
            self.refresh_form()
        if self._vwap_again:
            self._vwap_again = False
            self._ask_vwap()

    # --- sending ---------------------------------------------------------------------------------

    async def send(self, check: FormCheck) -> Outcome:
        assert isinstance(check, TicketCheck) and check.order is not None
        return await self.submit_order(check.order)

    def failed(self, outcome: Outcome) -> str:
        return f"{KEEP_OPEN.get(outcome.kind, 'Not placed')}: {outcome.message}"
