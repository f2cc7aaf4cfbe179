"""Search inside text written without spaces: CJK, Thai and the like, and emoji.

The word index (messages_fts, unicode61 + Porter) splits text at spaces and punctuation, so
`路由器` inside `我的路由器坏了` or a lone `🙏` was never a word of its own and found nothing.
Each such character is indexed again as a token of its own in messages_chars (its code
point, `x8def`), in order; a query's run of such characters becomes a phrase of those
tokens, which matches exactly where the run occurs: substring search, at index speed, for
any length of run. Text in spaced scripts is not repeated there (most rows get no entry).
"""

from __future__ import annotations

import re

#: Scripts written without spaces between words, and pictographs.
_UNSPACED = (
    "\u0e00-\u0eff"           # Thai, Lao
    "\u1000-\u109f"           # Myanmar
    "\u1780-\u17ff"           # Khmer
    "\u2600-\u27bf"           # symbols, dingbats (☀, ✅, ❤)
    "\u2b00-\u2bff"
    "\u3040-\u30ff\u31f0-\u31ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\uac00-\ud7af"           # Hangul syllables
    "\U0001f000-\U0001faff"   # emoji, flags
    "\U00020000-\U0002fa1f"   # CJK extensions
)
_CHAR = re.compile(f"[{_UNSPACED}]")
_RUN = re.compile(f"[{_UNSPACED}]+")
#: Between two runs, so a phrase never spans text that was not written together.
_GAP = "zz"


def char_tokens(text: str | None) -> str | None:
    """The index text of `text` ('x8def x7531 zz x1f64f'), or None if it has no such
    character (a SQL function: called by the store for each new message)."""
    if not text:
        return None
    runs = _RUN.findall(text)
    if not runs:
        return None
    return f" {_GAP} ".join(" ".join(f"x{ord(c):x}" for c in run) for run in runs)


def split_query(text: str) -> tuple[str, str]:
    """(FTS5 query over messages_chars for the unspaced runs, the rest of the text).

    `路由器 refund` -> ('"x8def x7531 x5668"', ' refund'); ('', text) when there are none.
    """
    runs = _RUN.findall(text)
    if not runs:
        return "", text
    phrases = " AND ".join('"' + " ".join(f"x{ord(c):x}" for c in run) + '"' for run in runs)
    return phrases, _RUN.sub(" ", text)


def has_unspaced(text: str) -> bool:
    return _CHAR.search(text) is not None
