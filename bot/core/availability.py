"""What each person may do now: card buttons and chat commands, derived from the request.

The rules use this to refuse what is not offered; the cards and /help use it to show
only what will work.
"""

from __future__ import annotations

from bot.core.models import (
    CardKind,
    CardState,
    CardStatus,
    ReshipmentRequest,
    Role,
    Status,
)
from bot.core.policy import Policy, Proposal


def can_offer_partial(request: ReshipmentRequest, policy: Policy) -> bool:
    return (
        policy.allows(request.reason, Proposal.partial_refund)
        and request.offers_made < policy.max_partial_offers
    )


def proposals_closed(request: ReshipmentRequest, policy: Policy) -> bool:
    """After an offer was declined or lapsed and no more may be made: approve or reject only."""
    return request.offers_made > 0 and request.offers_made >= policy.max_partial_offers


def can_refund_only(request: ReshipmentRequest, policy: Policy) -> bool:
    return policy.allows(request.reason, Proposal.refund_only) and not proposals_closed(
        request, policy
    )


def card_actions(request: ReshipmentRequest, card: CardState, policy: Policy) -> tuple[str, ...]:
    """Action ids the card offers at the request's current state."""
    if card.status is not CardStatus.open:
        return ()
    if card.kind is CardKind.request and request.status is Status.awaiting_seller:
        actions = ["approve", "reject"]
        if can_offer_partial(request, policy):
            actions.append("offer_partial_refund")
        if can_refund_only(request, policy):
            actions.append("refund_only")
        return tuple(actions)
    if card.kind is CardKind.request and request.status is Status.awaiting_shipment:
        return ("arrange_shipment",)
    if card.kind is CardKind.offer and request.status is Status.offer_pending:
        return ("accept_offer", "decline_offer", "cancel_request")
    if card.kind is CardKind.shipment and request.status is Status.shipped:
        return ("check_logistics",)
    return ()


_SELLER_COMMANDS: dict[Status, tuple[str, ...]] = {
    Status.awaiting_seller: ("/approve", "/reject"),
    Status.offer_pending: (),
    Status.awaiting_shipment: ("/ship",),
    Status.shipped: ("/track",),
}
_BUYER_COMMANDS: dict[Status, tuple[str, ...]] = {
    Status.awaiting_seller: ("/cancel",),
    Status.offer_pending: ("/accept", "/decline", "/cancel"),
    Status.awaiting_shipment: ("/cancel",),
    Status.shipped: ("/track",),
}


def available_commands(
    request: ReshipmentRequest | None, role: Role, policy: Policy
) -> tuple[str, ...]:
    """The chat commands `role` can use now on `request` (for /help)."""
    if request is None or role not in (Role.buyer, Role.seller):
        return ("/help",)
    table = _SELLER_COMMANDS if role is Role.seller else _BUYER_COMMANDS
    commands = list(table.get(request.status, ()))
    if role is Role.seller and request.status is Status.awaiting_seller:
        if can_offer_partial(request, policy):
            commands.append("/offer")
        if can_refund_only(request, policy):
            commands.append("/refund")
    if request.status.terminal and request.shipment is not None:
        commands.append("/track")
    return (*commands, "/status", "/help")
