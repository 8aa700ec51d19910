"""The orchestrator: events in, one atomic commit out. Knows nothing about HTTP.

For every event: one read of the conversation (its requests and the event's processed
marker), a pure decision (`bot.rules.decide`), and one commit of everything the decision
changes — new state, timeline, timers, offer key, marker and outbox — with a version
compare-and-set. A conflict means someone else committed first: read and decide again.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from bot.core.chat_parser import (
    ParsedCommand,
    UnknownCommand,
    UsageError,
    parse_command,
)
from bot.core.clock import Clock
from bot.core.commands import (
    CardAction,
    Command,
    CreateRequest,
    DeliveryFailed,
    LogisticsUpdate,
    PlatformCancel,
    TimerFired,
)
from bot.core.errors import StorageError
from bot.core.events import (
    CardClicked,
    CarrierUpdate,
    ChatMessage,
    InboundEvent,
    RequestCancelled,
    RequestOpened,
)
from bot.core.models import (
    Actor,
    ReshipmentRequest,
)
from bot.core.outcome import Outcome, Refusal
from bot.core.policy import Policy
from bot.core.rules import decide, refuse, refuse_without_request, slow_down
from bot.core.schedule import nearest_deadline, offer_ttl, timers_for
from bot.core.selection import select_request
from bot.core.tokens import TokenClaims, TokenSigner
from bot.runtime.outbound import (
    OutboxPlanner,
)
from bot.runtime.tracking_claims import claim_tracking, new_tracking_number
from storage.base import Commit, CommitResult, ConversationView, OutboxEntry, Store, TimerClaim

log = logging.getLogger("reshipbot.dispatcher")

Verdict = Literal["processed", "duplicate", "ignored", "invalid"]


@dataclass(frozen=True)
class Handled:
    """What became of an event: the webhook turns it into an HTTP answer."""

    verdict: Verdict
    code: str = ""
    message: str = ""
    refusal: Refusal | None = None
    # for "invalid": which fields of the event are wrong, as {"field", "message"}
    fields: tuple[Mapping[str, str], ...] = ()


PROCESSED = Handled("processed")
DUPLICATE = Handled("duplicate")
IGNORED = Handled("ignored")
WRONG_SHOP = Handled(
    "invalid",
    "shop_mismatch",
    "shop_id: the conversation's requests belong to another shop",
    fields=({"field": "shop_id", "message": "the conversation belongs to another shop"},),
)
STALE_TRACKING = Handled("invalid", "stale_tracking")  # the index points at a request without it
THROTTLED = Handled("ignored", "rate_limited")  # more commands than a person can mean

# (the request the decision was made on, the outcome)
Decision = tuple[ReshipmentRequest | None, Outcome]
Decider = Callable[[ConversationView, datetime], Decision | Handled]


class Observer(Protocol):
    def transition(self, kind: str) -> None: ...

    def refusal(self, code: str) -> None: ...


class Dispatcher:
    def __init__(
        self,
        store: Store,
        policy: Policy,
        planner: OutboxPlanner,
        tokens: TokenSigner,
        clock: Clock,
        *,
        on_commit: Callable[[], None] | None = None,
        observer: Observer | None = None,
        max_attempts: int = 32,
        commands_per_minute: int = 20,
    ) -> None:
        self.store = store
        self.policy = policy
        self.planner = planner
        self.tokens = tokens
        self.clock = clock
        self._on_commit = on_commit
        self._observer = observer
        self._max_attempts = max_attempts
        self._commands_per_minute = commands_per_minute

    # --- events ------------------------------------------------------------------------

    async def handle(self, event: InboundEvent) -> Handled:
        """Process one verified event, in the bot's words (`bot.core.events`)."""
        happening = event.happening
        if isinstance(happening, RequestOpened):
            return await self._requested(event, happening.create)
        if isinstance(happening, ChatMessage):
            return await self._chat_message(event, happening)
        if isinstance(happening, CardClicked):
            return await self._card_action(event, happening)
        if isinstance(happening, CarrierUpdate):
            return await self._logistics(event, happening)
        return await self._cancelled(event, happening)

    async def _requested(self, event: InboundEvent, command: CreateRequest) -> Handled:
        first = decide(None, command, self.clock.now(), self.policy)
        if first.refusal is not None:
            return _invalid_request(first.refusal)
        request_id, conversation_id = command.request_id, command.conversation_id
        owner = await self.store.claim_request_id(
            request_id, conversation_id, order_id=command.order.order_id
        )
        if owner != conversation_id:
            log.info(
                "request id already used in another conversation",
                extra={"request_id": request_id, "event_id": event.event_id},
            )
            return DUPLICATE

        decided = [first]

        def decider(view: ConversationView, now: datetime) -> Decision | Handled:
            existing = view.request(request_id)
            if existing is not None:
                return DUPLICATE
            if decided:  # the check above already decided it: use it once
                return None, decided.pop()
            return None, decide(None, command, now, self.policy)

        # A new request needs nothing from the store: commit at once, expecting version 0.
        # If it exists after all, the commit says so (conflict) and the loop reads first.
        return await self.run(conversation_id, event.event_id, decider, blind=True)

    async def _chat_message(self, event: InboundEvent, message: ChatMessage) -> Handled:
        parsed = parse_command(message.text)
        if parsed is None:
            return IGNORED
        actor = message.sender

        def decider(view: ConversationView, now: datetime) -> Decision | Handled:
            return self._decide_chat(view, actor, parsed, now)

        return await self.run(
            message.conversation_id,
            event.event_id,
            decider,
            shop_id=event.shop_id,
            attempt_by=actor,
        )

    def _decide_chat(
        self,
        view: ConversationView,
        actor: Actor,
        parsed: ParsedCommand | UsageError | UnknownCommand,
        now: datetime,
    ) -> Decision:
        word = parsed.word if isinstance(parsed, UnknownCommand) else _word(parsed)
        ref = getattr(parsed, "request_ref", None)
        target = select_request(view.requests, ref, word)
        request = target if isinstance(target, ReshipmentRequest) else None
        if isinstance(parsed, UnknownCommand):
            problem = Refusal("unknown_command", {"command": parsed.word})
        elif isinstance(parsed, UsageError):
            problem = Refusal("usage", {"usage": parsed.usage})
        elif isinstance(target, Refusal) and word != "/help":
            problem = target
        else:
            return request, decide(request, parsed.to_command(actor), now, self.policy)
        if request is None:
            return None, refuse_without_request(actor, problem)
        return request, refuse(request, actor, problem, now, word)

    async def _card_action(self, event: InboundEvent, click: CardClicked) -> Handled:
        actor = click.actor
        claims = self.tokens.verify(click.token)
        valid = claims is not None and _binds(claims, click)

        def decider(view: ConversationView, now: datetime) -> Decision | Handled:
            request_id = claims.request_id if valid and claims else _request_of(click.card_id)
            request = view.request(request_id)
            if request is None:
                return None, refuse_without_request(actor, Refusal("invalid_token"))
            if not valid or claims is None:
                return request, refuse(request, actor, Refusal("invalid_token"), now, click.action)
            form = dict(click.form)
            action = CardAction(actor, click.card_id, claims.version, click.action, form)
            return request, decide(request, action, now, self.policy)

        return await self.run(
            click.conversation_id,
            event.event_id,
            decider,
            shop_id=event.shop_id,
            attempt_by=actor,
        )

    async def _logistics(self, event: InboundEvent, update: CarrierUpdate) -> Handled:
        command = LogisticsUpdate(
            update.tracking_number,
            update.carrier,
            update.status,
            update.description,
            update.occurred_at,
        )
        for fresh in (False, True):  # a remembered claim may have moved: ask the store
            located = await self.store.locate_tracking(update.tracking_number, fresh=fresh)
            if located is None:
                break
            conversation_id, request_id = located
            handled = await self._system(
                conversation_id,
                request_id,
                command,
                event.event_id,
                shop_id=event.shop_id,
                tracking_number=update.tracking_number,
            )
            if handled is not STALE_TRACKING:
                return handled
        return Handled(
            "invalid",
            "unknown_tracking_number",
            f"no shipment has tracking number {update.tracking_number}",
        )

    async def _cancelled(self, event: InboundEvent, cancelled: RequestCancelled) -> Handled:
        request_id = cancelled.request_id
        conversation_id = await self.store.locate_request(request_id)
        if conversation_id is None:
            return Handled("invalid", "unknown_request", f"no reshipment request {request_id}")
        cancel = PlatformCancel(cancelled.cancelled_at)
        return await self._system(
            conversation_id, request_id, cancel, event.event_id, shop_id=event.shop_id
        )

    async def _system(
        self,
        conversation_id: str,
        request_id: str,
        command: Command,
        event_id: str | None,
        ack: str | None = None,
        shop_id: str | None = None,
        tracking_number: str | None = None,
    ) -> Handled:
        """A command of the platform or the bot itself on one request.

        With `tracking_number`, the request must hold that number: else `STALE_TRACKING`.
        """

        def decider(view: ConversationView, now: datetime) -> Decision | Handled:
            request = view.request(request_id)
            if request is None:
                return Handled("invalid", "unknown_request", f"no request {request_id}")
            if tracking_number is not None and (
                request.shipment is None or request.shipment.tracking_number != tracking_number
            ):
                return STALE_TRACKING
            return request, decide(request, command, now, self.policy)

        return await self.run(conversation_id, event_id, decider, ack=ack, shop_id=shop_id)

    # --- timers and platform results ------------------------------------------------------

    async def fire_timer(self, claim: TimerClaim) -> Handled:
        """A due timer: decide on the current request; reschedule or drop it if stale."""
        seen: list[ReshipmentRequest | None] = [None]
        command = TimerFired(claim.kind)

        def decider(view: ConversationView, now: datetime) -> Decision | Handled:
            request = seen[0] = view.request(claim.request_id)
            if request is None:
                return Handled("processed", "nothing")
            return request, decide(request, command, now, self.policy)

        result = await self.run(claim.conversation_id, None, decider)
        if result.code == "nothing":
            request = seen[0]
            due = timers_for(request).get(claim.kind) if request is not None else None
            await self.store.release_timer(claim, due)
        return result

    async def apply_result(self, entry: OutboxEntry, command: Command) -> None:
        """The platform's answer to an effect carries a result the request records: commit
        it, acknowledging the entry in that same commit."""
        if entry.request_id is None:
            await self.store.ack_outbox(entry, self.clock.now())
            return
        result = await self._system(
            entry.conversation_id, entry.request_id, command, None, ack=entry.entry_id
        )
        if result.code:  # nothing was committed, so nothing acknowledged the entry
            await self.store.ack_outbox(entry, self.clock.now())

    async def record_dead(self, entry: OutboxEntry, error: str, effect: str) -> None:
        """An effect (`effect`: as the platform calls it) failed for good: agents see it in
        the request's timeline."""
        if entry.request_id is None:
            return
        await self._system(
            entry.conversation_id, entry.request_id, DeliveryFailed(effect, error[:300]), None
        )

    # --- the read, decide, commit loop -----------------------------------------------------

    async def run(
        self,
        conversation_id: str,
        event_id: str | None,
        decider: Decider,
        ack: str | None = None,
        blind: bool = False,
        shop_id: str | None = None,
        attempt_by: Actor | None = None,
    ) -> Handled:
        """Read, decide, commit; again on a version conflict.

        `blind`: decide the first time on an empty conversation without reading it (for
        a creation, whose commit checks that the request does not exist yet).
        `shop_id`: the shop the event came from; a conversation of another shop's
        requests is not its to change (and the commit checks it too).
        `attempt_by`: a person's command, counted against `commands_per_minute`.
        """
        for attempt in range(self._max_attempts):
            if attempt:
                await asyncio.sleep(conflict_pause(attempt))
            if blind and not attempt:
                view = ConversationView(conversation_id, False, ())
            else:
                counted = _sender_key(attempt_by) if attempt_by and not attempt else None
                view = await self.store.read_conversation(conversation_id, event_id, counted)
            now = self.clock.now()
            decision = self._guard(view, shop_id, attempt_by) or decider(view, now)
            if isinstance(decision, Handled):
                return decision
            base, outcome = decision
            if not outcome.changed and not outcome.effects:
                return Handled("processed", "nothing", refusal=outcome.refusal)
            number = new_tracking_number(base, outcome.request)
            if number is not None and base is not None:
                outcome = await claim_tracking(self.store, number, view, base, outcome, now)
            commit = self._commit(conversation_id, event_id, base, outcome, now, view, ack)
            result = await self.store.commit(commit)
            if result is CommitResult.ok:
                self._committed(base, outcome)
                return Handled("processed", refusal=outcome.refusal)
            if result is CommitResult.duplicate:
                return DUPLICATE
            if result is CommitResult.wrong_shop:
                return WRONG_SHOP
        raise StorageError(
            f"conversation {conversation_id} is too busy: gave up after "
            f"{self._max_attempts} conflicting commits"
        )

    def _guard(
        self, view: ConversationView, shop_id: str | None, attempt_by: Actor | None
    ) -> Decision | Handled | None:
        """What comes before any decision: a duplicate, another shop's conversation, or a
        person sending more commands than anyone means to (told once per window)."""
        if view.duplicate:
            return DUPLICATE
        if shop_id is not None and any(r.shop_id != shop_id for r in view.requests):
            return WRONG_SHOP
        if attempt_by is not None and view.attempts > self._commands_per_minute:
            if view.attempts > self._commands_per_minute + 1:
                return THROTTLED
            return None, slow_down(attempt_by)
        return None

    def _commit(
        self,
        conversation_id: str,
        event_id: str | None,
        base: ReshipmentRequest | None,
        outcome: Outcome,
        now: datetime,
        view: ConversationView,
        ack: str | None,
    ) -> Commit:
        new = outcome.request
        subject = new or base or _latest(view)
        key_base = (
            f"{new.request_id}:v{new.version}"
            if new is not None
            else f"reply:{conversation_id}:{event_id or now.timestamp()}"
        )
        entries = self.planner.plan(conversation_id, subject, outcome.effects, now, key_base)
        if new is None:
            return Commit(conversation_id, now, event_id=event_id, outbox=entries, ack_outbox=ack)
        return Commit(
            conversation_id,
            now,
            request=new,
            expected_version=base.version if base is not None else 0,
            event_id=event_id,
            timers=timers_for(new),
            offer_ttl=offer_ttl(new, now),
            queue_at=nearest_deadline(new),
            outbox=entries,
            ack_outbox=ack,
        )

    def _committed(self, base: ReshipmentRequest | None, outcome: Outcome) -> None:
        if outcome.effects and self._on_commit is not None:
            self._on_commit()
        if self._observer is None:
            return
        if outcome.refusal is not None:
            self._observer.refusal(outcome.refusal.code)
        elif outcome.request is not None and (
            base is None or base.status != outcome.request.status
        ):
            self._observer.transition(outcome.request.status.value)


# --- helpers ---------------------------------------------------------------------------


def conflict_pause(attempt: int) -> float:
    """Seconds to wait before attempt `attempt` (≥ 1) after losing a compare-and-set.

    Jittered and growing (to 50 ms), so a burst of events on one conversation spreads
    out instead of re-reading in lockstep, where each round lets only one of them win.
    """
    return random.uniform(0, min(0.05, 0.001 * 2**attempt))


def _invalid_request(refusal: Refusal) -> Handled:
    """T1's guards failed: name the field the way the wire validation does (`data.items[0]…`)."""
    params = refusal.params
    field = f"data.{params['field']}" if "field" in params else "data"
    problem = {"field": field, "message": str(params.get("problem", refusal.message))}
    message = f"{problem['field']}: {problem['message']}"
    return Handled("invalid", "invalid_data", message, refusal, fields=(problem,))


def _sender_key(actor: Actor) -> str:
    return f"{actor.role.value}:{actor.id}"


def _word(parsed: ParsedCommand | UsageError) -> str:
    return parsed.command if isinstance(parsed, UsageError) else parsed.name


def _binds(claims: TokenClaims, click: CardClicked) -> bool:
    return (
        claims.card_id == click.card_id
        and claims.action == click.action
        and claims.role == click.actor.role.value
        and claims.actor_id == click.actor.id
    )


def _request_of(card_id: str) -> str:
    parts = card_id.rsplit(".", 2)
    return parts[0] if len(parts) == 3 else card_id


def _latest(view: ConversationView) -> ReshipmentRequest | None:
    if not view.requests:
        return None
    return max(view.requests, key=lambda r: (r.created_at, r.request_id))


__all__ = ["Dispatcher", "Handled"]
