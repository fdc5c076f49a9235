"""Keys that arrive in one burst (a laggy SSH link, a password manager, an unbracketed paste).

Textual hands each key to the widget focused when the key is read, and a binding that moves
the focus runs only once its key has gone round; so the keys behind it in the same read are
already queued at the old widget. A widget that moves the focus itself calls `hand_on` first
for every key it receives: a key that reached it after it lost the focus goes where the focus
is now, in order, as if it had been read then (priority bindings included: `/`, `?`).
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget


async def hand_on(widget: Widget, event: events.Event) -> bool:
    """Send a key or paste that reached `widget` after it lost the focus to the widget focused
    now; True when it was handled so (the caller must not process it)."""
    if not isinstance(event, events.Key | events.Paste):
        return False
    app = widget.app
    target = app.focused  # now (has_focus catches up only with the Blur event)
    if target is widget or target is None:
        return False
    event.stop()
    event.prevent_default()
    if isinstance(event, events.Key):
        # As App.on_event would have done had the key been read now: priority bindings first.
        if await app._check_bindings(event.key, priority=True):
            return True
        target._forward_event(events.Key(event.key, event.character))
    else:
        target._forward_event(events.Paste(event.text))
    return True
