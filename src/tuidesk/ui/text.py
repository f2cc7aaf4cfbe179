"""Provides the only way untrusted text reaches a widget: cleaned, and never parsed as markup."""

from __future__ import annotations

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
