"""One tracking number, one shipment: claiming a number before the commit that records it.

The tracking index (number → conversation and request) routes the carriers' events. It
is a global key, so it cannot be part of a conversation's atomic commit on a cluster;
instead the number is claimed atomically (set only if absent) before the commit, and the
request stays the truth: a claim counts only while its request holds the number (or is
about to: approved, not shipped yet, as between a claim and its commit).

- A seller who types a number another shipment holds is refused (T14), whatever the
  shop: each reshipment is its own parcel with its own tracking number.
- A number the platform assigned wins: the platform ships the parcel, so its answer
  moves the claim to its request.
- A claim nobody holds any more (its request shipped with another number, closed, or
  its commit never happened) is taken over.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.models import Actor, ReshipmentRequest, Role, Status
from bot.core.outcome import Outcome, Refusal
from bot.core.rules import refuse
from storage.base import ConversationView, Store

Owner = tuple[str, str]  # (conversation_id, request_id)


def new_tracking_number(
    base: ReshipmentRequest | None, new: ReshipmentRequest | None
) -> str | None:
    """The tracking number this outcome records for the first time, if any."""
    if new is None or new.shipment is None or new.shipment.tracking_number is None:
        return None
    before = base.shipment.tracking_number if base and base.shipment else None
    number = new.shipment.tracking_number
    return number if number != before else None


async def claim_tracking(
    store: Store,
    number: str,
    view: ConversationView,
    base: ReshipmentRequest,
    outcome: Outcome,
    now: datetime,
) -> Outcome:
    """Claim `number` for the outcome's request; the outcome, or a refusal if it is taken."""
    new = outcome.request
    assert new is not None
    mine: Owner = (new.conversation_id, new.request_id)
    holder = await store.claim_tracking(number, *mine)
    if holder == mine:
        return outcome
    actor = new.timeline[-1].actor if new.timeline else None
    by_person = actor is not None and actor.role in (Role.buyer, Role.seller)
    if by_person and await _held(store, view, holder, number):
        assert actor is not None
        return _taken(base, actor, now)
    await store.move_tracking(number, holder, mine)
    return outcome


async def _held(store: Store, view: ConversationView, holder: Owner, number: str) -> bool:
    conversation_id, request_id = holder
    if conversation_id != view.conversation_id:
        view = await store.read_conversation(conversation_id)
    request = view.request(request_id)
    if request is None or request.status.terminal:
        return False
    if request.shipment is not None:
        return request.shipment.tracking_number == number
    return request.status is Status.awaiting_shipment  # claimed, its commit may be in flight


def _taken(base: ReshipmentRequest, actor: Actor, now: datetime) -> Outcome:
    refusal = Refusal("tracking_number_taken", {"request_id": base.request_id})
    return refuse(base, actor, refusal, now, "/ship")
