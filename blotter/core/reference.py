"""Reference data: instrument and asset ids resolved to symbols, names and display precision."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from ..api.models import Asset, Instrument
from .format import DEFAULT_PLACES, places_of


@dataclass
class Catalog:
    instruments: dict[str, Instrument] = field(default_factory=dict)
    assets: dict[str, Asset] = field(default_factory=dict)

    @classmethod
    def build(cls, instruments: Iterable[Instrument], assets: Iterable[Asset]) -> Catalog:
        return cls({i.id: i for i in instruments}, {a.id: a for a in assets})

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

    def price_increment(self, instrument_id: str | None) -> Decimal | None:
        instrument = self.instruments.get(instrument_id or "")
        return instrument.info.price_increment if instrument else None

    def qty_increment(self, instrument_id: str | None) -> Decimal | None:
        instrument = self.instruments.get(instrument_id or "")
        return instrument.info.qty_increment if instrument else None

    def price_places(self, instrument_id: str | None) -> int:
        return places_of(self.price_increment(instrument_id), default=2)

    def qty_places(self, instrument_id: str | None) -> int:
        return places_of(self.qty_increment(instrument_id), default=DEFAULT_PLACES)

    def quote_places(self, instrument_id: str | None) -> int:
        """Places for notionals and fees: the quote asset's cents."""
        return 2
