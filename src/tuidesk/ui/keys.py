"""The keys as they are after `[keys]` in config.toml: one catalogue of every binding, the
keys each is bound to now, how a key is written on screen, and the check of the keymap.

Help, the command palette and the footer all read the keys from here (or from Textual's
remapped bindings, which agree), so a remapped key shows as remapped everywhere. An unknown
binding id or a key that two bindings would share is refused at start with the config line:
Textual drops a clashing binding silently (a clash once took Resolve off the keyboard).
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path

from textual.binding import Binding, BindingType
from textual.keys import _normalize_key_list

from tuidesk.errors import ConfigError

#: How a key name is written for people.
_SHOWN = {"question_mark": "?", "slash": "/", "colon": ":", "number_sign": "#",
          "space": "Space", "escape": "Esc", "enter": "Enter", "pagedown": "PgDn",
          "pageup": "PgUp", "home": "Home", "end": "End", "down": "↓", "up": "↑",
          "tab": "Tab", "left": "←", "right": "→", "asterisk": "*", "plus": "+",
          "minus": "-", "full_stop": ".", "comma": ","}


def shown_key(key: str) -> str:
    """'question_mark' -> '?', 'ctrl+d' -> 'Ctrl+D', 'G' -> 'G'."""
    key = key.strip()
    if key.startswith("ctrl+"):
        return "Ctrl+" + shown_key(key[5:]).upper()
    if key.startswith("shift+"):
        return "Shift+" + shown_key(key[6:])
    return _SHOWN.get(key, key)


def shown_keys(keys: str) -> str:
    """'j,down' -> 'j ↓'."""
    return " ".join(shown_key(k) for k in keys.split(",") if k.strip())


@dataclass(frozen=True)
class Key:
    """One binding as it stands: where it works, its id, action, description, keys now."""

    scope: str
    binding: Binding
    keys: str

    @property
    def id(self) -> str:
        return self.binding.id or ""

    @property
    def description(self) -> str:
        return self.binding.tooltip or self.binding.description


def _tables() -> dict[str, list[BindingType]]:
    """Scope -> bindings. The queue screen's keys work with the list or the detail pane
    focused; the list's and the pane's keys only with that widget focused."""
    from tuidesk.ui.screens.composer import ReplyComposerModal
    from tuidesk.ui.screens.confirm import ConfirmModal
    from tuidesk.ui.screens.dashboard import DashboardScreen
    from tuidesk.ui.screens.escalate import EscalateModal
    from tuidesk.ui.screens.help import HelpModal
    from tuidesk.ui.screens.prompt import TextPromptModal
    from tuidesk.ui.screens.queue_keys import APP_BINDINGS, QUEUE_BINDINGS
    from tuidesk.ui.screens.saved_replies import SavedReplyModal
    from tuidesk.ui.screens.snooze import SnoozeModal
    from tuidesk.ui.screens.welcome import WelcomeModal
    from tuidesk.ui.widgets.conversation_detail import ConversationDetail
    from tuidesk.ui.widgets.queue_list import QueueList

    return {"app": APP_BINDINGS, "queue": QUEUE_BINDINGS, "list": QueueList.BINDINGS,
            "detail": ConversationDetail.BINDINGS,
            "composer": ReplyComposerModal.BINDINGS, "help": HelpModal.BINDINGS,
            "dashboard": DashboardScreen.BINDINGS, "confirm": ConfirmModal.BINDINGS,
            "prompt": TextPromptModal.BINDINGS, "snooze": SnoozeModal.BINDINGS,
            "escalate": EscalateModal.BINDINGS, "saved": SavedReplyModal.BINDINGS,
            "welcome": WelcomeModal.BINDINGS}


#: Scopes whose keys are live at the same time (a key shared inside one is a clash).
TOGETHER = (("app", "queue", "list"), ("app", "queue", "detail"))


def catalogue(keymap: dict[str, str] | None = None) -> list[Key]:
    """Every binding with the keys it has under `keymap`, in table order."""
    keymap = {k: _normalize_key_list(v) for k, v in (keymap or {}).items()}
    found = []
    for scope, table in _tables().items():
        for entry in table:
            b = entry if isinstance(entry, Binding) else Binding(*entry)
            found.append(Key(scope, b, keymap.get(b.id or "", b.key)))
    return found


def keys_for(action: str, keymap: dict[str, str] | None = None,
             scopes: tuple[str, ...] = ("app", "queue", "list")) -> str:
    """The keys bound to `action` now, as shown ('' when none)."""
    for key in catalogue(keymap):
        if key.scope in scopes and key.binding.action == action:
            return shown_keys(key.keys)
    return ""


def _line_of(path: Path | None, binding_id: str) -> str:
    """'config.toml line 12' for the line that sets `binding_id` ('' if not found)."""
    if path is None:
        return "[keys]"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return f"{path}"
    for n, line in enumerate(lines, 1):
        name = line.split("=", 1)[0].strip().strip("\"'")
        if "=" in line and name == binding_id:
            return f"{path} line {n}"
    return f"{path}"


def check_keymap(keymap: dict[str, str], path: Path | None = None) -> None:
    """Refuse a keymap that names no binding or binds one key to two bindings at once.

    Raises:
        ConfigError: one line: the file and line, the id, what is wrong.
    """
    keys = catalogue(keymap)
    ids = {k.id for k in keys if k.id}
    for binding_id, value in keymap.items():
        if binding_id not in ids:
            close = get_close_matches(binding_id, sorted(ids), 1, 0.8)
            hint = f" (did you mean {close[0]}?)" if close else \
                " (the ids are in the README's key table and in ? help)"
            raise ConfigError(f"{_line_of(path, binding_id)}: [keys] {binding_id}: no such "
                              f"binding{hint}")
        if not _normalize_key_list(value).strip(",").strip():
            raise ConfigError(f"{_line_of(path, binding_id)}: [keys] {binding_id}: no key "
                              "given")
    for scopes in TOGETHER:
        owner: dict[str, Key] = {}
        for key in keys:
            if key.scope not in scopes:
                continue
            for one in key.keys.split(","):
                one = one.strip()
                other = owner.get(one)
                if other is not None and other.id != key.id:
                    blame = key if key.id in keymap else other
                    rival = other if blame is key else key
                    raise ConfigError(
                        f"{_line_of(path, blame.id)}: [keys] {blame.id}: "
                        f"{shown_key(one)} is already {rival.id} ({rival.description}); "
                        "give one of them another key")
                owner[one] = key
