"""The footer: `? Help` first, then the keys a trader uses most, as many as the width holds.

Textual's `Footer` shows every binding marked `show` in declaration order and clips the rest at
the right edge, so at 80 columns `? Help` fell off. This one ranks the bindings by id and shows
whole keys only; what does not fit is in the help overlay and the command palette.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE_ROOM = 14  # "^p Commands" at the right, with its padding


class RankedFooter(Footer):
    def __init__(self, ranking: Sequence[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.ranking = tuple(ranking)
        self._width = 0
        self.shown_ids: list[str] = []

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        by_id = {entry.binding.id: entry for entry in active.values() if entry.binding.id}
        room = (self.size.width or self.app.size.width) - PALETTE_ROOM
        self.shown_ids = []
        for binding_id in self.ranking:
            entry = by_id.get(binding_id)
            if entry is None:
                continue
            binding = entry.binding
            key = self.app.get_key_display(binding)
            width = cell_len(key) + cell_len(binding.description) + 3  # " key desc "
            if width > room:
                continue  # a shorter one further down may still fit
            room -= width
            self.shown_ids.append(binding_id)
            yield FooterKey(binding.key, key, binding.description, binding.action, disabled=not entry.enabled,
                            tooltip=entry.tooltip).data_bind(compact=Footer.compact)
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if self.show_command_palette and palette is not None:
            binding = palette.binding
            yield FooterKey(binding.key, self.app.get_key_display(binding), binding.description, binding.action,
                            classes="-command-palette", disabled=not palette.enabled, tooltip=binding.description)

    def on_resize(self) -> None:
        if self.size.width != self._width:
            self._width = self.size.width
            self.call_after_refresh(self.recompose)
