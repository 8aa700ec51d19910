"""What each person may do now: card buttons and chat commands, derived from the request.

The rules use this to refuse what is not offered; the cards and /help use it to show
only what will work. Both lists come from the declarations in `bot.core.registry`: a
command is offered to the `roles` it declares, in its `statuses`, when its `offered_if`
holds; its button shows on an open card of its kind when the command is offered.
"""

from __future__ import annotations

from bot.core.models import CardState, ReshipmentRequest, Role
from bot.core.policy import Policy
from bot.core.registry import REGISTRY


def card_actions(request: ReshipmentRequest, card: CardState, policy: Policy) -> tuple[str, ...]:
    """Action ids the card offers at the request's current state."""
    return REGISTRY.card_actions(request, card, policy)


def available_commands(
    request: ReshipmentRequest | None, role: Role, policy: Policy
) -> tuple[str, ...]:
    """The chat commands `role` can use now on `request` (for /help)."""
    return REGISTRY.available(request, role, policy)
