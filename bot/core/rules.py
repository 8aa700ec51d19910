"""The reshipment rules of SPEC §1 as one pure function.

    decide(request, command, now, policy) -> Outcome

No I/O, no clock reads: the caller passes `now`. An outcome carries the new request
(None when nothing is stored), the effects to deliver, and a `Refusal` when the command
was not allowed (T14) — a refused actor command still records the attempt in the
timeline and answers the actor, so refusals change the request too.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from bot.core.commands import (
    ActorCommand,
    CardAction,
    Command,
    CreateRequest,
    DeliveryFailed,
    LogisticsUpdate,
    PlatformCancel,
    RefundIssued,
    ReplacementOrderCreated,
    ShipmentCreated,
    TimerFired,
    TimerKind,
)
from bot.core.creation import Problem, create_request
from bot.core.declaration import ChatCommand, RuleResult
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
from bot.core.registry import REGISTRY
from bot.core.schedule import timers_for
from bot.core.transitions import (
    Change,
    approve,
    back_to_seller,
    cancel,
    logistics_update,
    mark_overdue,
    remind_seller,
    shipment_created,
)

__all__ = [
    "NOTHING",
    "REFUSALS_KEPT",
    "Outcome",
    "Refusal",
    "command_word",
    "decide",
    "refuse",
    "refuse_without_request",
    "slow_down",
]


def decide(
    request: ReshipmentRequest | None, command: Command, now: datetime, policy: Policy
) -> Outcome:
    """Apply one command to one request at `now` under `policy`."""
    if isinstance(command, CreateRequest):
        return _from_creation(request, command, now, policy)
    declared = REGISTRY.of(command)
    if declared is not None and not declared.needs_request:  # /help: anyone, any time
        result = declared.rule(request, command, now, policy)
        return _settled(result, request, None, now, declared.word)
    if request is None:
        return _no_request(command)
    if declared is not None or isinstance(command, CardAction):
        return _actor_command(request, cast(ActorCommand, command), now, policy)
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


# --- people acting in chat or on cards: as declared in bot.core.registry ----------------


def command_word(command: ActorCommand) -> str:
    """The word a person types for `command` (a card click: its action id)."""
    if isinstance(command, CardAction):
        return command.action
    declared = REGISTRY.of(command)
    assert declared is not None  # every actor command but a click is declared
    return declared.word


def _actor_command(
    request: ReshipmentRequest, command: ActorCommand, now: datetime, policy: Policy
) -> Outcome:
    actor = command.actor
    if isinstance(command, CardAction):
        resolved = _from_card(request, command, policy)
        if isinstance(resolved, Refusal):
            return refuse(request, actor, resolved, now, command.action)
        command = resolved
    declared = REGISTRY.of(command)
    assert declared is not None  # `decide` and `_from_card` hand over declared commands
    refusal = _who_may_act(request, actor, declared) or _when_may_act(request, declared)
    if refusal is not None:
        return refuse(request, actor, refusal, now, declared.word)
    result = declared.rule(request, command, now, policy)
    return _settled(result, request, actor, now, declared.word)


def _who_may_act(request: ReshipmentRequest, actor: Actor, declared: ChatCommand) -> Refusal | None:
    ref: dict[str, ParamValue] = {"request_id": request.request_id}
    if actor.role not in (Role.buyer, Role.seller):
        return Refusal("agent_read_only", ref)
    if actor.role not in declared.roles:
        return Refusal("only_seller" if Role.seller in declared.roles else "only_buyer", ref)
    if request.party(actor.role) != actor.id:
        return Refusal("not_your_request", ref)
    return None


def _when_may_act(request: ReshipmentRequest, declared: ChatCommand) -> Refusal | None:
    if request.status in declared.statuses:
        return None
    ref: dict[str, ParamValue] = {"request_id": request.request_id, "status": request.status.value}
    code = declared.refused_in.get(request.status)
    if code is not None:
        return Refusal(code, ref)
    if request.status.terminal:
        return Refusal("request_closed", ref)
    return Refusal("not_now", {**ref, "command": declared.word})


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
    declared = REGISTRY.by_action(click.action)
    if declared is None or click.action not in REGISTRY.card_actions(request, card, policy):
        if request.status.terminal:
            return Refusal("request_closed", {**ref, "status": request.status.value})
        return Refusal("action_not_available", ref)
    return declared.from_card(click)


def _settled(
    result: RuleResult,
    request: ReshipmentRequest | None,
    actor: Actor | None,
    now: datetime,
    word: str,
) -> Outcome:
    """A rule's answer as an outcome: a refusal is recorded and answered (T14)."""
    if isinstance(result, Outcome):
        return result
    if isinstance(result, Refusal):
        assert request is not None  # only rules of a request refuse
        return refuse(request, actor, result, now, word)
    return Outcome(result.build(), tuple(result.effects))


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
