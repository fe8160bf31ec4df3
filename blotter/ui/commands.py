"""The command palette: every action the app binds, found by its description, and the desk's themes.

It replaces Textual's system commands: those offered twenty built-in themes where `t` cycles ours,
a "Maximize" that hid the environment badge, and a screenshot written to the working directory.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .screens.help import key_label

CHANGE_THEME = "Change theme…"


class BlotterCommands(Provider):
    def _commands(self):
        app = self.app
        for binding in app.command_bindings():  # type: ignore[attr-defined]
            yield binding.description, partial(app.run_action, binding.action), f"key: {key_label(binding.key)}"
        yield CHANGE_THEME, app.search_desk_themes, "choose one of the desk's themes"  # type: ignore[attr-defined]

    async def discover(self) -> Hits:
        for text, callback, help_text in self._commands():
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)


class DeskThemes(Provider):
    """The themes `t` cycles through: the shipped ones and the trader's own files."""

    def _themes(self):
        app = self.app
        for name in app.desk_themes:  # type: ignore[attr-defined]
            yield name, partial(setattr, app, "theme", name)

    async def discover(self) -> Hits:
        for name, callback in self._themes():
            yield DiscoveryHit(name, callback)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback in self._themes():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback)


class ClientChoices(Provider):
    """`u`: every client the key can act for, and all of them together."""

    def _choices(self):
        app = self.app
        yield "All clients", partial(app.choose_client, None), "orders, trades and positions of every client"  # type: ignore[attr-defined]
        for client in app.dashboard.clients:  # type: ignore[attr-defined]
            mnemonic = client.info.mnemonic if client.info is not None else None
            yield f"{client.id} {mnemonic or ''}".strip(), partial(app.choose_client, client.id), None  # type: ignore[attr-defined]

    async def discover(self) -> Hits:
        for text, callback, help_text in self._choices():
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._choices():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)
