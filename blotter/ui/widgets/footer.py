"""The footer: `? Help` first, then the keys a trader uses most, as many as the width holds.

Textual's `Footer` shows every binding marked `show` in declaration order and clips the rest at
the right edge, so at 80 columns `? Help` fell off. This one ranks the bindings by id and shows
whole keys only; what does not fit is in the help overlay and the command palette.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual.binding import Binding
    from textual.screen import Screen

PALETTE_ROOM = 14  # "^p Commands" at the right, with its padding


class RankedFooter(Footer):
    def __init__(self, ranking: Sequence[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.ranking = tuple(ranking)
        self._width = 0
        self.shown_ids: list[str] = []
        self._drawn: tuple | None = None  # the keys as last composed, to tell a change from none

    def _keys(self) -> list[tuple[Binding, str, bool, str, str]]:
        """(binding, key shown, enabled, tooltip, classes) of each key that fits, best ranked first,
        and the command palette's at the end."""
        active = self.screen.active_bindings
        by_id = {entry.binding.id: entry for entry in active.values() if entry.binding.id}
        room = (self.size.width or self.app.size.width) - PALETTE_ROOM
        keys = []
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
            keys.append((binding, key, entry.enabled, entry.tooltip, ""))
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if self.show_command_palette and palette is not None:
            binding = palette.binding
            keys.append((binding, self.app.get_key_display(binding), palette.enabled, binding.description,
                         "-command-palette"))
        return keys

    @staticmethod
    def _signature(keys: list[tuple[Binding, str, bool, str, str]]) -> tuple:
        return tuple((b.key, b.action, b.description, key, enabled, tooltip, classes)
                     for b, key, enabled, tooltip, classes in keys)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        keys = self._keys()
        self._drawn = self._signature(keys)
        self.shown_ids = [b.id for b, *_ in keys if b.id and b.id in self.ranking]
        for binding, key, enabled, tooltip, classes in keys:
            footer_key = FooterKey(binding.key, key, binding.description, binding.action, disabled=not enabled,
                                   tooltip=tooltip, classes=classes)
            yield footer_key.data_bind(compact=Footer.compact) if not classes else footer_key

    def bindings_changed(self, screen: Screen) -> None:
        """Textual's footer mounts every key again, awaited among the screen's after-refresh
        callbacks, whenever the bindings may have changed: each focus move between panes, and
        about ten times while the dashboard starts, which held the first data off the screen for
        a quarter of a second. Here: only when the keys shown change, and in the footer's own
        message queue (`refresh(recompose=True)`), so the screen paints meanwhile."""
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        if self._signature(self._keys()) != self._drawn:
            self.refresh(recompose=True)

    def on_resize(self) -> None:
        if self.size.width != self._width:
            self._width = self.size.width
            if self._bindings_ready and self._signature(self._keys()) != self._drawn:  # as many keys fit
                self.refresh(recompose=True)
