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
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

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
    RefundIssued,
    ReplacementOrderCreated,
    RequestedItem,
    ShipmentCreated,
    TimerFired,
)
from bot.core.errors import StorageError
from bot.core.models import (
    Actor,
    Buyer,
    Evidence,
    Order,
    OrderLine,
    ReshipmentRequest,
    Role,
    Seller,
)
from bot.core.outcome import Outcome, Refusal
from bot.core.policy import Policy
from bot.core.rules import decide, refuse, refuse_without_request, slow_down
from bot.core.schedule import nearest_deadline, offer_ttl, timers_for
from bot.core.selection import select_request
from bot.core.tokens import TokenClaims, TokenSigner
from bot.platforms.generic.wire import (
    CancelledData,
    CardActionData,
    ChatMessageData,
    Envelope,
    FieldProblem,
    LogisticsData,
    RequestedData,
    from_unix,
)
from bot.runtime.outbound import (
    FEEDBACK_REFUND,
    FEEDBACK_REPLACEMENT_ORDER,
    FEEDBACK_SHIPMENT,
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
    fields: tuple[FieldProblem, ...] = ()  # for "invalid": which `data` fields are wrong


PROCESSED = Handled("processed")
DUPLICATE = Handled("duplicate")
IGNORED = Handled("ignored")
WRONG_SHOP = Handled(
    "invalid",
    "shop_mismatch",
    "shop_id: the conversation's requests belong to another shop",
    fields=(FieldProblem(field="shop_id", message="the conversation belongs to another shop"),),
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
        self._handlers: Mapping[str, Callable[[Envelope, Any], Awaitable[Handled]]] = {
            "reshipment.requested": self._requested,
            "chat.message": self._chat_message,
            "card.action": self._card_action,
            "logistics.updated": self._logistics,
            "reshipment.cancelled": self._cancelled,
        }

    # --- events ------------------------------------------------------------------------

    async def handle(self, envelope: Envelope, data: Any) -> Handled:
        """Process one verified, validated event."""
        handler = self._handlers.get(envelope.type)
        if handler is None:
            return IGNORED
        return await handler(envelope, data)

    async def _requested(self, envelope: Envelope, data: RequestedData) -> Handled:
        command = _create_command(envelope, data)
        first = decide(None, command, self.clock.now(), self.policy)
        if first.refusal is not None:
            return _invalid_request(first.refusal)
        owner = await self.store.claim_request_id(
            data.request_id, data.conversation_id, order_id=data.order.order_id
        )
        if owner != data.conversation_id:
            log.info(
                "request id already used in another conversation",
                extra={"request_id": data.request_id, "event_id": envelope.event_id},
            )
            return DUPLICATE

        decided = [first]

        def decider(view: ConversationView, now: datetime) -> Decision | Handled:
            existing = view.request(data.request_id)
            if existing is not None:
                return DUPLICATE
            if decided:  # the check above already decided it: use it once
                return None, decided.pop()
            return None, decide(None, command, now, self.policy)

        # A new request needs nothing from the store: commit at once, expecting version 0.
        # If it exists after all, the commit says so (conflict) and the loop reads first.
        return await self.run(data.conversation_id, envelope.event_id, decider, blind=True)

    async def _chat_message(self, envelope: Envelope, data: ChatMessageData) -> Handled:
        parsed = parse_command(data.text)
        if parsed is None:
            return IGNORED
        actor = Actor(role=Role(data.sender.role), id=data.sender.id)

        def decider(view: ConversationView, now: datetime) -> Decision | Handled:
            return self._decide_chat(view, actor, parsed, now)

        return await self.run(
            data.conversation_id,
            envelope.event_id,
            decider,
            shop_id=envelope.shop_id,
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

    async def _card_action(self, envelope: Envelope, data: CardActionData) -> Handled:
        actor = Actor(role=Role(data.actor.role), id=data.actor.id)
        claims = self.tokens.verify(data.token)
        valid = claims is not None and _binds(claims, data, actor)

        def decider(view: ConversationView, now: datetime) -> Decision | Handled:
            request_id = claims.request_id if valid and claims else _request_of(data.card_id)
            request = view.request(request_id)
            if request is None:
                return None, refuse_without_request(actor, Refusal("invalid_token"))
            if not valid or claims is None:
                return request, refuse(request, actor, Refusal("invalid_token"), now, data.action)
            click = CardAction(actor, data.card_id, claims.version, data.action, dict(data.form))
            return request, decide(request, click, now, self.policy)

        return await self.run(
            data.conversation_id,
            envelope.event_id,
            decider,
            shop_id=envelope.shop_id,
            attempt_by=actor,
        )

    async def _logistics(self, envelope: Envelope, data: LogisticsData) -> Handled:
        update = LogisticsUpdate(
            data.tracking_number,
            data.carrier,
            data.status,
            data.description,
            from_unix(data.occurred_at),
        )
        for fresh in (False, True):  # a remembered claim may have moved: ask the store
            located = await self.store.locate_tracking(data.tracking_number, fresh=fresh)
            if located is None:
                break
            conversation_id, request_id = located
            handled = await self._system(
                conversation_id,
                request_id,
                update,
                envelope.event_id,
                shop_id=envelope.shop_id,
                tracking_number=data.tracking_number,
            )
            if handled is not STALE_TRACKING:
                return handled
        return Handled(
            "invalid",
            "unknown_tracking_number",
            f"no shipment has tracking number {data.tracking_number}",
        )

    async def _cancelled(self, envelope: Envelope, data: CancelledData) -> Handled:
        conversation_id = await self.store.locate_request(data.request_id)
        if conversation_id is None:
            return Handled("invalid", "unknown_request", f"no reshipment request {data.request_id}")
        cancel = PlatformCancel(from_unix(data.cancelled_at))
        return await self._system(
            conversation_id, data.request_id, cancel, envelope.event_id, shop_id=envelope.shop_id
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

    async def apply_result(self, entry: OutboxEntry, response: Mapping[str, Any]) -> None:
        """The platform answered an effect whose result belongs in the request."""
        command = _result_command(entry.feedback, response)
        if command is None or entry.request_id is None:
            await self.store.ack_outbox(entry, self.clock.now())
            return
        result = await self._system(
            entry.conversation_id, entry.request_id, command, None, ack=entry.entry_id
        )
        if result.code:  # nothing was committed, so nothing acknowledged the entry
            await self.store.ack_outbox(entry, self.clock.now())

    async def record_dead(self, entry: OutboxEntry, error: str) -> None:
        """An effect failed for good: agents see it in the request's timeline."""
        if entry.request_id is None:
            return
        effect = f"{entry.method} {entry.path}"
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
    problem = FieldProblem(field=field, message=str(params.get("problem", refusal.message)))
    message = f"{problem.field}: {problem.message}"
    return Handled("invalid", "invalid_data", message, refusal, fields=(problem,))


def _sender_key(actor: Actor) -> str:
    return f"{actor.role.value}:{actor.id}"


def _word(parsed: ParsedCommand | UsageError) -> str:
    return parsed.command if isinstance(parsed, UsageError) else parsed.name


def _binds(claims: TokenClaims, data: CardActionData, actor: Actor) -> bool:
    return (
        claims.card_id == data.card_id
        and claims.action == data.action
        and claims.role == actor.role.value
        and claims.actor_id == actor.id
    )


def _request_of(card_id: str) -> str:
    parts = card_id.rsplit(".", 2)
    return parts[0] if len(parts) == 3 else card_id


def _latest(view: ConversationView) -> ReshipmentRequest | None:
    if not view.requests:
        return None
    return max(view.requests, key=lambda r: (r.created_at, r.request_id))


def _result_command(feedback: str | None, response: Mapping[str, Any]) -> Command | None:
    def text(key: str) -> str | None:
        value = response.get(key)
        return value if isinstance(value, str) and value else None

    if feedback == FEEDBACK_REPLACEMENT_ORDER and (order_id := text("replacement_order_id")):
        return ReplacementOrderCreated(order_id)
    if feedback == FEEDBACK_REFUND and (refund_id := text("refund_id")):
        return RefundIssued(refund_id)
    if feedback == FEEDBACK_SHIPMENT:
        carrier, tracking = text("carrier"), text("tracking_number")
        if carrier and tracking:
            return ShipmentCreated(carrier, tracking)
    return None


def _create_command(envelope: Envelope, data: RequestedData) -> CreateRequest:
    order = data.order
    return CreateRequest(
        request_id=data.request_id,
        shop_id=envelope.shop_id,
        conversation_id=data.conversation_id,
        requested_at=from_unix(data.requested_at),
        reason=data.reason,
        items=tuple(RequestedItem(item.line_id, item.quantity) for item in data.items),
        evidence=Evidence(note=data.evidence.note, image_urls=tuple(data.evidence.image_urls)),
        buyer=Buyer(id=data.buyer.id, locale=data.buyer.locale, timezone=data.buyer.timezone),
        seller=Seller(
            id=data.seller.id,
            locale=data.seller.locale,
            timezone=data.seller.timezone,
            region=data.seller.region.upper(),
        ),
        order=Order(
            order_id=order.order_id,
            currency=order.currency,
            shipping_option=order.shipping_option,
            lines=tuple(
                OrderLine(
                    line_id=line.line_id,
                    sku=line.sku,
                    name=line.name,
                    quantity=line.quantity,
                    unit_price=Decimal(line.unit_price),
                )
                for line in order.lines
            ),
        ),
    )


__all__ = ["Dispatcher", "Handled"]
