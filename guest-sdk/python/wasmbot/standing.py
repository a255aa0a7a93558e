"""Who sent the current event, in its chat: a rank and whether they are one of the bot's
admins. The host already refuses commands whose audience the sender is not in; this is for
finer checks of a plugin's own."""

from __future__ import annotations

from dataclasses import dataclass

from . import _context

_RANKS = ("unknown", "member", "admin", "owner")


@dataclass
class Standing:
    """``rank`` is ``unknown``, ``member``, ``admin`` or ``owner``."""

    rank: str
    bot_admin: bool

    def is_admin(self) -> bool:
        """An admin or owner of the chat, or a bot admin."""
        return self.bot_admin or self.rank in ("admin", "owner")

    def is_owner(self) -> bool:
        """The chat's owner, or a bot admin."""
        return self.bot_admin or self.rank == "owner"


def current() -> Standing:
    """The current event's sender's standing (``unknown`` outside a handler)."""
    wit = _context.standing()
    if wit is None:
        return Standing("unknown", False)
    return Standing(wit.rank.name.lower(), wit.bot_admin)
