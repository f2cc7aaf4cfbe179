"""Provides the only way untrusted text reaches a widget: cleaned, and never parsed as markup."""

from __future__ import annotations

import re

from rich.cells import cell_len, set_cell_size
from textual.content import Content

from tuidesk.services.display import clean, clean_line


def safe(text: str, style: str = "") -> Content:
    """Literal, inert content: controls neutralised, `[...]` shown as typed."""
    return Content.styled(clean(text), style) if style else Content(clean(text))


def safe_line(text: str, style: str = "") -> Content:
    return Content.styled(clean_line(text), style) if style else Content(clean_line(text))


def join(*parts: Content | str | tuple[str, str]) -> Content:
    """Assemble labels (str, (str, style) tuples) with already-safe Content pieces.

    Plain `str` parts are cleaned too: a label built with an f-string from a stored value
    (a network name, a status) is as untrusted as the message itself. Content.assemble never
    parses str parts as markup.
    """
    return Content.assemble(*(
        clean(p) if isinstance(p, str) else (clean(p[0]), p[1]) if isinstance(p, tuple) else p
        for p in parts))


#: Variation selectors and skin-tone modifiers: Textual counts 👍🏽 and ❤️ as 2 cells, tmux
#: (per code point) as 4 and 1. A joined sequence (👩‍💻, 🙋🏽‍♀️) is 2 cells in Textual
#: and tmux 3.3 but 4 or more in xterm.
_PRESENTATION = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")
_JOINED = re.compile("\u200d.")


def drawn(content: Content) -> tuple[object, ...]:
    """What a Content draws, to compare with what was drawn before: Content's own equality
    looks at its text alone, so a change of style would compare equal."""
    return content.plain, tuple(content.spans)


def cell_simple(text: str) -> str:
    """A form of `text` that every terminal draws as wide as Textual measures it: a joined
    emoji sequence becomes its first emoji, skin tones and emoji-presentation selectors go.
    For the queue's fixed columns only; the detail pane and what is sent keep the text."""
    return _PRESENTATION.sub("", _JOINED.sub("", text))


def fit(text: str, width: int) -> str:
    """`text` cut or padded to exactly `width` terminal cells (not characters: a CJK
    character is two cells, a combining accent none), in its cell-simple form."""
    text = cell_simple(text)
    if cell_len(text) > width:
        return set_cell_size(text, max(0, width - 1)) + "…" if width else ""
    return set_cell_size(text, width)
