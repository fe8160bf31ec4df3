"""The footer: `? Help` first, then the keys a trader uses most, as many as the width holds.

Textual's `Footer` shows every binding marked `show` in declaration order and clips the rest at
the right edge, so at 80 columns `? Help` fell off. This one ranks the bindings by id and shows
whole keys only; what does not fit is in the help overlay and the command palette.

It is one widget drawing one line, in the look of Textual's footer (its `footer-*` theme
variables, the command palette's key at the right edge). Textual's footer mounts a widget per
key, and mounts them all again whenever the keys change: twice while the dashboard starts, which
was about 30 ms of the way to the first data, and again on a focus move that changes the keys.
Here a change of keys is one repaint. A click on a key presses it, as in Textual's footer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.binding import Binding
    from textual.screen import Screen

DIM = Style(dim=True)  # a key that does nothing now (Textual's footer: `-disabled`)
EDGE = "▏"  # the left edge of the command palette's key (Textual's `vkey` border)


@dataclass(frozen=True)
class ShownKey:
    """One key as drawn: what it presses, how it reads, and whether it does anything now."""

    key: str  # the binding's key, pressed when the key is clicked
    display: str  # the key as shown, e.g. "^p"
    description: str
    enabled: bool

    @property
    def label(self) -> str:
        return f"{self.display} {self.description}".rstrip()

    def parts(self, compact: bool = False) -> tuple[str, str]:
        """The key and the description as drawn: " key " and "description ", or compact (as
        Textual's footer draws the command palette's key) "key" and " description"."""
        if not self.description:
            return (self.display if compact else f" {self.display} "), ""
        if compact:
            return self.display, f" {self.description}"
        return f" {self.display} ", f"{self.description} "

    def width(self, compact: bool = False) -> int:
        return sum(cell_len(part) for part in self.parts(compact))


class RankedFooter(Widget):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer-key--key", "footer-key--description", "footer-key--edge"}
    DEFAULT_CSS = """
    RankedFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .footer-key--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .footer-key--edge { color: $foreground 20%; }
    }
    """

    def __init__(self, ranking: Sequence[str], *, show_command_palette: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ranking = tuple(ranking)
        self.show_command_palette = show_command_palette
        self.keys: list[ShownKey] = []  # best ranked first
        self.palette: ShownKey | None = None  # the command palette's, at the right edge
        self._spans: list[tuple[int, int, ShownKey]] = []  # where each key is drawn, for clicks

    @property
    def shown(self) -> list[str]:
        """The keys as they read, left to right, e.g. ["? Help", "n New order", "^p Commands"]."""
        return [key.label for key in (*self.keys, *([self.palette] if self.palette else []))]

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._choose()

    def on_resize(self) -> None:
        self._choose()  # as many keys fit

    def _choose(self) -> None:
        """The keys that fit, best ranked first, and the palette's; a repaint only if they changed."""
        active = self.screen.active_bindings
        by_id = {entry.binding.id: entry for entry in active.values() if entry.binding.id}
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if not (self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE):
            palette = None
        chosen_palette = self._key(palette.binding, palette.enabled) if palette is not None else None
        room = self.size.width or self.app.size.width
        if chosen_palette is not None:  # its key, its edge, its padding, and a cell between it and the others
            room -= chosen_palette.width(compact=True) + 3
        keys = []
        for binding_id in self.ranking:
            entry = by_id.get(binding_id)
            if entry is None:
                continue
            key = self._key(entry.binding, entry.enabled)
            if key.width() > room:
                continue  # a shorter one further down may still fit
            room -= key.width()
            keys.append(key)
        if keys != self.keys or chosen_palette != self.palette:
            self.keys, self.palette = keys, chosen_palette
            self.refresh()

    def _key(self, binding: Binding, enabled: bool) -> ShownKey:
        return ShownKey(binding.key, self.app.get_key_display(binding), binding.description, enabled)

    def render(self) -> Text:
        key_style = self.get_component_rich_style("footer-key--key")
        description_style = self.get_component_rich_style("footer-key--description")
        line = Text(no_wrap=True, overflow="crop", end="")
        self._spans = []

        def draw(key: ShownKey, compact: bool = False) -> None:
            start = line.cell_len
            shown, described = key.parts(compact)
            line.append(shown, key_style if key.enabled else key_style + DIM)
            line.append(described, description_style if key.enabled else description_style + DIM)
            self._spans.append((start, line.cell_len, key))

        for key in self.keys:
            draw(key)
        if self.palette is not None:
            # At the right edge: its edge, the key drawn compact (as Textual's footer draws it), and
            # one cell of padding after it.
            left = self.size.width - self.palette.width(compact=True) - 2
            line.truncate(max(0, left), pad=True)
            self._spans = [(start, min(end, left), key) for start, end, key in self._spans]
            line.append(EDGE, self.get_component_rich_style("footer-key--edge"))
            draw(self.palette, compact=True)
            line.append(" ")
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                if key.enabled:
                    self.app.simulate_key(key.key)
                else:
                    self.app.bell()
                return
