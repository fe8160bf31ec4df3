"""Reference data: instrument and asset ids resolved to symbols, names and display alignment.

No tick or lot size is documented (reference §6.7), so nothing is ever rounded for display: each
value shows every digit the exchange sent. Columns are aligned to the instrument's increments when
it gives them, else to the most decimals seen so far for that instrument (or asset). When a value
with more decimals arrives, `version` moves and the panes redraw their rows aligned anew.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from ..api.models import Asset, Instrument
from .format import decimals_of, places_of


@dataclass
class Catalog:
    instruments: dict[str, Instrument] = field(default_factory=dict)
    assets: dict[str, Asset] = field(default_factory=dict)
    # (kind, id) -> the most decimals seen: kind is "price" or "qty" (by instrument), "asset"
    seen_places: dict[tuple[str, str], int] = field(default_factory=dict)
    version: int = 0  # moves when an alignment widens (or the reference data changes)

    @classmethod
    def build(cls, instruments: Iterable[Instrument], assets: Iterable[Asset]) -> Catalog:
        return cls({i.id: i for i in instruments}, {a.id: a for a in assets})

    def load(self, instruments: Iterable[Instrument], assets: Iterable[Asset]) -> None:
        self.instruments.update({i.id: i for i in instruments})
        self.assets.update({a.id: a for a in assets})
        self.version += 1

    def symbol(self, instrument_id: str | None) -> str:
        if instrument_id is None:
            return ""
        instrument = self.instruments.get(instrument_id)
        return instrument.symbol if instrument else instrument_id

    def by_symbol(self, symbol: str) -> Instrument | None:
        return next((i for i in self.instruments.values() if i.symbol == symbol), None)

    def asset_name(self, asset_id: str | None) -> str:
        if asset_id is None:
            return ""
        asset = self.assets.get(asset_id)
        return asset.name if asset else asset_id

    def quote_asset_name(self, instrument_id: str | None) -> str:
        instrument = self.instruments.get(instrument_id or "")
        return self.asset_name(instrument.info.quote_asset_id) if instrument else ""

    def price_increment(self, instrument_id: str | None) -> Decimal | None:
        instrument = self.instruments.get(instrument_id or "")
        return instrument.info.price_increment if instrument else None

    def qty_increment(self, instrument_id: str | None) -> Decimal | None:
        instrument = self.instruments.get(instrument_id or "")
        return instrument.info.qty_increment if instrument else None

    # --- alignment ------------------------------------------------------------------------------

    def _places(self, kind: str, key: str | None, increment: Decimal | None, values: Iterable[Decimal | None]) -> int:
        if increment is not None and increment > 0:
            return places_of(increment)
        slot = (kind, key or "")
        places = self.seen_places.get(slot, 0)
        widest = max((decimals_of(v) for v in values if v is not None), default=0)
        if widest > places:
            self.seen_places[slot] = places = widest
            self.version += 1
        return places

    def price_places(self, instrument_id: str | None, *values: Decimal | None, column: str = "price") -> int:
        """Decimals to align a price column of the instrument to, having seen `values`. Each
        column aligns on its own: an average price with many decimals never pads the limit prices."""
        return self._places(column, instrument_id, self.price_increment(instrument_id), values)

    def qty_places(self, instrument_id: str | None, *values: Decimal | None, column: str = "qty") -> int:
        return self._places(column, instrument_id, self.qty_increment(instrument_id), values)

    def asset_places(self, asset_id: str | None, *values: Decimal | None, column: str = "asset") -> int:
        """Decimals for amounts of an asset in one column: the qty increment of an instrument it
        is the base of, else the most decimals seen in that column for it."""
        for instrument in self.instruments.values():
            if instrument.info.base_asset_id == asset_id and instrument.info.qty_increment:
                return places_of(instrument.info.qty_increment)
        return self._places(column, asset_id, None, values)
