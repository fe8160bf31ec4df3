"""An Input that applies every key in the order it was typed.

Textual's Input inserts a typed character at once, in its own key handler. Its editing keys
(backspace, delete, the arrows, home and end, ctrl+u...) are bindings instead: that key bubbles up
to the app, which then runs the Input's action. Keys that arrive together can therefore be applied
out of order: a burst over a slow SSH link, a key held down, a fast typist. In tmux, backspace
seven times then "190.5" left the price field empty in one try in four, because the backspaces ran
after the digits. A reordered backspace can as well leave another valid number. This is Textual's
issue #6605 (open in 8.2.8). Until Textual runs those bindings in place, this field does: it runs
its own bindings from its key handler, with the same action the app would run.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input

__all__ = ["InOrderInput"]


class InOrderInput(Input):
    async def _on_key(self, event: events.Key) -> None:
        # Textual calls each class's `_on_key` along the MRO: Input's runs next unless prevented.
        if event.is_printable:
            return
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            # Priority bindings were the app's to run before the key reached this field.
            if not binding.priority and await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()
                return
