"""The reshipment rules of SPEC §1 as one pure function.

    decide(request, command, now, policy) -> Outcome

No I/O, no clock reads: the caller passes `now`. An outcome carries the new request
(None when nothing is stored), the effects to deliver, and a `Refusal` when the command
was not allowed (T14) — a refused actor command still records the attempt in the
timeline and answers the actor, so refusals change the request too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.core import replies
from bot.core.availability import card_actions
from bot.core.chat_parser import UsageError, parse_offer_argument
from bot.core.commands import (
    AcceptOffer,
    ActorCommand,
    Approve,
    ArrangeShipment,
    CancelRequest,
    CardAction,
    Command,
    CreateRequest,
    DeclineOffer,
    DeliveryFailed,
    Help,
    LogisticsUpdate,
    OfferPartialRefund,
    PlatformCancel,
    RefundIssued,
    RefundOnly,
    Reject,
    ReplacementOrderCreated,
    ShipmentCreated,
    ShowStatus,
    TimerFired,
    TimerKind,
    Track,
)
from bot.core.creation import Problem, create_request
from bot.core.effects import Effect, Notify, ParamValue
from bot.core.models import (
    Actor,
    Audience,
    DecidedBy,
    OfferStatus,
    ReshipmentRequest,
    Role,
    Status,
    TimelineEntry,
)
from bot.core.outcome import NOTHING, Outcome, Refusal
from bot.core.policy import Policy
from bot.core.schedule import timers_for
from bot.core.transitions import (
    Change,
    accept_offer,
    approve,
    arrange_shipment,
    back_to_seller,
    cancel,
    logistics_update,
    mark_overdue,
    offer_partial_refund,
    refund_in_full,
    reject,
    remind_seller,
    shipment_created,
)

__all__ = ["NOTHING", "Outcome", "Refusal", "decide", "refuse", "refuse_without_request"]

_ACTOR_COMMANDS = (
    CardAction,
    Approve,
    Reject,
    OfferPartialRefund,
    RefundOnly,
    ArrangeShipment,
    AcceptOffer,
    DeclineOffer,
    CancelRequest,
    Track,
    ShowStatus,
)


def decide(
    request: ReshipmentRequest | None, command: Command, now: datetime, policy: Policy
) -> Outcome:
    """Apply one command to one request at `now` under `policy`."""
    if isinstance(command, CreateRequest):
        return _from_creation(request, command, now, policy)
    if isinstance(command, Help):
        return _help(request, command, policy)
    if request is None:
        return _no_request(command)
    if isinstance(command, _ACTOR_COMMANDS):
        return _actor_command(request, command, now, policy)
    return _system_command(request, command, now, policy)


# --- creation (T1) ---------------------------------------------------------------------


def _from_creation(
    request: ReshipmentRequest | None, command: CreateRequest, now: datetime, policy: Policy
) -> Outcome:
    if request is not None:
        return Outcome(None, (), Refusal("request_exists", {"request_id": command.request_id}))
    result = create_request(command, now, policy)
    if isinstance(result, Problem):
        params: dict[str, ParamValue] = {"field": result.field, "problem": result.problem}
        return Outcome(None, (), Refusal("invalid_request", params))
    new, effects = result
    return Outcome(new, effects)


# --- people acting in chat or on cards -------------------------------------------------

_SELLER = Role.seller
_BUYER = Role.buyer

# command type -> (role allowed, statuses allowed, command word)
_ACTOR_RULES: dict[type[Any], tuple[Role | None, frozenset[Status], str]] = {
    Approve: (_SELLER, frozenset({Status.awaiting_seller}), "/approve"),
    Reject: (_SELLER, frozenset({Status.awaiting_seller}), "/reject"),
    OfferPartialRefund: (_SELLER, frozenset({Status.awaiting_seller}), "/offer"),
    RefundOnly: (_SELLER, frozenset({Status.awaiting_seller}), "/refund"),
    ArrangeShipment: (_SELLER, frozenset({Status.awaiting_shipment}), "/ship"),
    AcceptOffer: (_BUYER, frozenset({Status.offer_pending}), "/accept"),
    DeclineOffer: (_BUYER, frozenset({Status.offer_pending}), "/decline"),
    CancelRequest: (
        _BUYER,
        frozenset({Status.awaiting_seller, Status.offer_pending, Status.awaiting_shipment}),
        "/cancel",
    ),
    Track: (None, frozenset(Status), "/track"),
    ShowStatus: (None, frozenset(Status), "/status"),
}
_QUERIES = (Track, ShowStatus)


def command_word(command: ActorCommand) -> str:
    if isinstance(command, CardAction):
        return command.action
    if isinstance(command, Help):
        return "/help"
    return _ACTOR_RULES[type(command)][2]


def _actor_command(
    request: ReshipmentRequest, command: ActorCommand, now: datetime, policy: Policy
) -> Outcome:
    actor = command.actor
    if isinstance(command, CardAction):
        resolved = _from_card(request, command, policy)
        if isinstance(resolved, Refusal):
            return refuse(request, actor, resolved, now, command.action)
        command = resolved
    role, statuses, word = _ACTOR_RULES[type(command)]
    refusal = _who_may_act(request, actor, role) or _when_may_act(request, command, statuses, word)
    if refusal is not None:
        return refuse(request, actor, refusal, now, word)
    handler = _HANDLERS[type(command)]
    return handler(request, command, now, policy)


def _who_may_act(request: ReshipmentRequest, actor: Actor, role: Role | None) -> Refusal | None:
    ref: dict[str, ParamValue] = {"request_id": request.request_id}
    if actor.role not in (Role.buyer, Role.seller):
        return Refusal("agent_read_only", ref)
    if role is not None and actor.role is not role:
        return Refusal("only_seller" if role is Role.seller else "only_buyer", ref)
    if request.party(actor.role) != actor.id:
        return Refusal("not_your_request", ref)
    return None


def _when_may_act(
    request: ReshipmentRequest, command: ActorCommand, statuses: frozenset[Status], word: str
) -> Refusal | None:
    ref: dict[str, ParamValue] = {"request_id": request.request_id, "status": request.status.value}
    if isinstance(command, _QUERIES):
        return None
    if isinstance(command, CancelRequest) and request.status is Status.shipped:
        return Refusal("already_shipped", ref)
    if request.status.terminal:
        return Refusal("request_closed", ref)
    if request.status not in statuses:
        return Refusal("not_now", {**ref, "command": word})
    return None


def _from_card(
    request: ReshipmentRequest, click: CardAction, policy: Policy
) -> ActorCommand | Refusal:
    ref: dict[str, ParamValue] = {"request_id": request.request_id}
    if click.actor.role not in (Role.buyer, Role.seller):
        return Refusal("agent_read_only", ref)  # before the card: no card is theirs
    card = request.card(click.card_id)
    if card is None or card.version != click.card_version:
        return Refusal("stale_card", ref)
    if card.audience.value != click.actor.role.value:
        return Refusal("not_your_request", ref)
    if click.action not in card_actions(request, card, policy):
        if request.status.terminal:
            return Refusal("request_closed", {**ref, "status": request.status.value})
        return Refusal("action_not_available", ref)
    return _CARD_COMMANDS[click.action](click)


def _offer_from_form(click: CardAction) -> OfferPartialRefund:
    """The form's amount, read as the chat reads `/offer AMOUNT` (`parse_offer_argument`)."""
    typed = click.form.get("amount", "").strip()
    parsed = parse_offer_argument(typed)
    if isinstance(parsed, UsageError):  # not an amount: refused with the typed text
        return OfferPartialRefund(click.actor, amount=typed)
    return OfferPartialRefund(
        click.actor,
        amount=parsed.amount,
        percent=parsed.percent,
        currency_symbol=parsed.currency_symbol,
    )


_CARD_COMMANDS: dict[str, Callable[[CardAction], ActorCommand]] = {
    "approve": lambda c: Approve(c.actor),
    "reject": lambda c: Reject(c.actor, c.form.get("reason_code", ""), c.form.get("comment", "")),
    "offer_partial_refund": _offer_from_form,
    "refund_only": lambda c: RefundOnly(c.actor),
    "arrange_shipment": lambda c: ArrangeShipment(
        c.actor, c.form.get("carrier") or None, c.form.get("tracking_number") or None
    ),
    "accept_offer": lambda c: AcceptOffer(c.actor),
    "decline_offer": lambda c: DeclineOffer(c.actor),
    "cancel_request": lambda c: CancelRequest(c.actor),
    "check_logistics": lambda c: Track(c.actor),
}


REFUSALS_KEPT = 5
"""Refused attempts kept in a request's timeline (the latest); all are counted."""


def refuse(
    request: ReshipmentRequest, actor: Actor | None, refusal: Refusal, now: datetime, word: str
) -> Outcome:
    """T14: nothing changes but the timeline; the actor is told why.

    Only the latest `REFUSALS_KEPT` refusals stay in the timeline and `refused_attempts`
    counts them all, so nobody can grow a request by sending what is refused.
    """
    entry = TimelineEntry(
        at=max(now, request.updated_at),
        type="refused",
        actor=actor,
        detail={"command": word, "code": refusal.code},
    )
    new = request.model_copy(
        update={
            "timeline": (*_without_oldest_refusal(request.timeline), entry),
            "refused_attempts": request.refused_attempts + 1,
            "version": request.version + 1,
            "updated_at": entry.at,
        }
    )
    return Outcome(new, _reply(actor, refusal), refusal)


def _without_oldest_refusal(timeline: tuple[TimelineEntry, ...]) -> tuple[TimelineEntry, ...]:
    """The timeline with room for one more refusal (the oldest goes when it is full)."""
    refused = [index for index, entry in enumerate(timeline) if entry.type == "refused"]
    if len(refused) < REFUSALS_KEPT:
        return timeline
    oldest = refused[0]
    return timeline[:oldest] + timeline[oldest + 1 :]


def _reply(actor: Actor | None, refusal: Refusal) -> tuple[Effect, ...]:
    if actor is None or actor.role not in (Role.buyer, Role.seller):
        return ()
    return (Notify(Audience(actor.role.value), refusal.message_id, refusal.params),)


def slow_down(actor: Actor) -> Outcome:
    """A person sent more commands in a minute than anyone means to: told once, not recorded."""
    if actor.role not in (Role.buyer, Role.seller):
        return Outcome(None)
    return Outcome(None, (Notify(Audience(actor.role.value), "slow_down", {}),))


def refuse_without_request(actor: Actor | None, refusal: Refusal) -> Outcome:
    """A refusal with no request to record it in: only the actor is told."""
    return Outcome(None, _reply(actor, refusal), refusal)


def _no_request(command: Command) -> Outcome:
    return refuse_without_request(getattr(command, "actor", None), Refusal("no_request"))


def _help(request: ReshipmentRequest | None, command: Help, policy: Policy) -> Outcome:
    return Outcome(None, replies.help_reply(request, command.actor, policy))


# --- handlers that passed the who/when checks -------------------------------------------

Handler = Callable[[ReshipmentRequest, Any, datetime, Policy], Outcome]


def _finish(
    change: Change | Refusal,
    request: ReshipmentRequest,
    actor: Actor | None,
    now: datetime,
    word: str,
) -> Outcome:
    if isinstance(change, Refusal):
        return refuse(request, actor, change, now, word)
    return Outcome(change.build(), tuple(change.effects))


def _approve(request: ReshipmentRequest, cmd: Approve, now: datetime, policy: Policy) -> Outcome:
    if (closed := _seller_window_closed(request, now)) is not None:
        return refuse(request, cmd.actor, closed, now, "/approve")
    return _finish(
        approve(request, now, policy, cmd.actor, DecidedBy.seller),
        request,
        cmd.actor,
        now,
        "/approve",
    )


def _reject(request: ReshipmentRequest, cmd: Reject, now: datetime, policy: Policy) -> Outcome:
    closed = _seller_window_closed(request, now)
    result = closed or reject(request, now, policy, cmd.actor, cmd.reason_code, cmd.comment)
    return _finish(result, request, cmd.actor, now, "/reject")


def _offer(
    request: ReshipmentRequest, cmd: OfferPartialRefund, now: datetime, policy: Policy
) -> Outcome:
    closed = _seller_window_closed(request, now)
    result = closed or offer_partial_refund(request, now, policy, cmd)
    return _finish(result, request, cmd.actor, now, "/offer")


def _refund_only(
    request: ReshipmentRequest, cmd: RefundOnly, now: datetime, policy: Policy
) -> Outcome:
    closed = _seller_window_closed(request, now)
    result = closed or refund_in_full(request, now, policy, cmd.actor)
    return _finish(result, request, cmd.actor, now, "/refund")


def _ship(
    request: ReshipmentRequest, cmd: ArrangeShipment, now: datetime, policy: Policy
) -> Outcome:
    return _finish(arrange_shipment(request, now, cmd), request, cmd.actor, now, "/ship")


def _accept(request: ReshipmentRequest, cmd: AcceptOffer, now: datetime, policy: Policy) -> Outcome:
    return _finish(accept_offer(request, now, cmd.actor), request, cmd.actor, now, "/accept")


def _decline(
    request: ReshipmentRequest, cmd: DeclineOffer, now: datetime, policy: Policy
) -> Outcome:
    change = back_to_seller(request, now, policy, OfferStatus.declined, cmd.actor)
    return _finish(change, request, cmd.actor, now, "/decline")


def _cancel(
    request: ReshipmentRequest, cmd: CancelRequest, now: datetime, policy: Policy
) -> Outcome:
    return _finish(cancel(request, now, cmd.actor), request, cmd.actor, now, "/cancel")


def _track(request: ReshipmentRequest, cmd: Track, now: datetime, policy: Policy) -> Outcome:
    reply = replies.track_reply(request, cmd.actor)
    if reply is None:
        return refuse(
            request,
            cmd.actor,
            Refusal("not_shipped", {"request_id": request.request_id}),
            now,
            "/track",
        )
    return Outcome(None, (reply,))


def _status(request: ReshipmentRequest, cmd: ShowStatus, now: datetime, policy: Policy) -> Outcome:
    return Outcome(None, (replies.status_reply(request, cmd.actor),))


_HANDLERS: dict[type[Any], Handler] = {
    Approve: _approve,
    Reject: _reject,
    OfferPartialRefund: _offer,
    RefundOnly: _refund_only,
    ArrangeShipment: _ship,
    AcceptOffer: _accept,
    DeclineOffer: _decline,
    CancelRequest: _cancel,
    Track: _track,
    ShowStatus: _status,
}


def _seller_window_closed(request: ReshipmentRequest, now: datetime) -> Refusal | None:
    due = request.deadlines.seller_due_at
    if due is not None and now >= due:
        return Refusal(
            "seller_window_closed", {"request_id": request.request_id, "seller_due_at": due}
        )
    return None


# --- the platform, the carrier, the clock -----------------------------------------------


def _system_command(
    request: ReshipmentRequest, command: Command, now: datetime, policy: Policy
) -> Outcome:
    if isinstance(command, TimerFired):
        return _timer(request, command.kind, now, policy)
    if isinstance(command, PlatformCancel):
        return _platform_cancel(request, now)
    if isinstance(command, LogisticsUpdate):
        result = logistics_update(request, now, command)
        if isinstance(result, Refusal):
            return Outcome(None, (), result)
        return _built(result)
    return _platform_result(request, command, now)


def _built(change: Change | None) -> Outcome:
    if change is None:
        return NOTHING
    return Outcome(change.build(), tuple(change.effects))


def _timer(request: ReshipmentRequest, kind: TimerKind, now: datetime, policy: Policy) -> Outcome:
    """A timer fired: act only if the request still waits for exactly this deadline."""
    due = timers_for(request).get(kind)
    if due is None or now < due:
        return NOTHING
    if kind is TimerKind.seller_deadline:
        return _built(approve(request, now, policy, None, DecidedBy.platform))
    if kind is TimerKind.seller_reminder:
        return _built(remind_seller(request, now))
    if kind is TimerKind.offer_expiry:
        return _built(back_to_seller(request, now, policy, OfferStatus.expired, None))
    return _built(mark_overdue(request, now))


def _platform_cancel(request: ReshipmentRequest, now: datetime) -> Outcome:
    platform = Actor(role=Role.platform, id="platform")
    ref: dict[str, ParamValue] = {"request_id": request.request_id, "status": request.status.value}
    if request.status is Status.shipped:
        return refuse(request, platform, Refusal("already_shipped", ref), now, "cancel")
    if request.status.terminal:
        return refuse(request, platform, Refusal("request_closed", ref), now, "cancel")
    return _built(cancel(request, now, None))


def _platform_result(request: ReshipmentRequest, command: Command, now: datetime) -> Outcome:
    change = Change(request, now)
    if isinstance(command, ReplacementOrderCreated):
        if request.replacement_order_id is not None:
            return NOTHING
        change.set(replacement_order_id=command.replacement_order_id)
        change.log(
            "replacement_order_created", None, replacement_order_id=command.replacement_order_id
        )
    elif isinstance(command, RefundIssued):
        if request.refund is None or request.refund.refund_id is not None:
            return NOTHING
        change.set(refund=request.refund.model_copy(update={"refund_id": command.refund_id}))
        change.log("refund_issued", None, refund_id=command.refund_id)
    elif isinstance(command, ShipmentCreated):
        return _built(shipment_created(request, now, command))
    elif isinstance(command, DeliveryFailed):
        change.log("delivery_failed", None, effect=command.effect, error=command.error)
    else:  # pragma: no cover - every command type is handled above
        raise TypeError(f"unhandled command {type(command).__name__}")
    return _built(change)
