"""The command palette: every action the app binds, found by its description."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .screens.help import key_label


class BlotterCommands(Provider):
    def _commands(self):
        app = self.app
        for binding in app.command_bindings():  # type: ignore[attr-defined]
            text = binding.description
            yield text, partial(app.run_action, binding.action), f"key: {key_label(binding.key)}"

    async def discover(self) -> Hits:
        for text, callback, help_text in self._commands():
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)
