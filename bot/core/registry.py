"""Every chat command and card button, declared once (SPEC §2.1, §2.2).

One block per command, in the order /help lists them: its parsed class (the word, the
typed command it becomes, how its arguments are read from chat and from the card's
form), then its rule, declared with who may send it, in which statuses, when it is
offered, its usage and /help texts and its card button. To add a command, add a block
(docs/EXTENDING.md). Everything else is derived from `REGISTRY`: the parser's words and
usage lines (`bot.core.chat_parser`), /help and the buttons each person is offered
(`bot.core.availability`), card action → command and the dispatch of `decide`
(`bot.core.rules`), and the cards' button labels, styles and hints (`cards/`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Self

from bot.core import replies
from bot.core.chat_syntax import read_amount, split_head, tokens, unquote
from bot.core.commands import (
    AcceptOffer,
    Approve,
    ArrangeShipment,
    CancelRequest,
    DeclineOffer,
    Help,
    OfferPartialRefund,
    RefundOnly,
    Reject,
    ShowStatus,
    Track,
)
from bot.core.declaration import (
    ANY_STATUS,
    ANYONE,
    BUYER,
    PEOPLE,
    SELLER,
    ButtonStyle,
    CardButton,
    NoArgumentCommand,
    ParsedCommand,
    Registry,
    RuleResult,
)
from bot.core.messages import N_
from bot.core.models import (
    Actor,
    CardKind,
    DecidedBy,
    OfferStatus,
    ReshipmentRequest,
    ShippingOption,
    Status,
)
from bot.core.outcome import Outcome, Refusal
from bot.core.policy import Policy, can_offer_partial, can_refund_only
from bot.core.transitions import (
    accept_offer,
    approve,
    arrange_shipment,
    back_to_seller,
    cancel,
    offer_partial_refund,
    refund_in_full,
    reject,
)

REGISTRY = Registry()

AWAITING_SELLER = frozenset({Status.awaiting_seller})
OFFER_PENDING = frozenset({Status.offer_pending})
OPEN_UNSHIPPED = frozenset({Status.awaiting_seller, Status.offer_pending, Status.awaiting_shipment})


def _seller_window_closed(request: ReshipmentRequest, now: datetime) -> Refusal | None:
    due = request.deadlines.seller_due_at
    if due is not None and now >= due:
        return Refusal(
            "seller_window_closed", {"request_id": request.request_id, "seller_due_at": due}
        )
    return None


# --- /approve (T2) -----------------------------------------------------------------------


class ApproveCommand(NoArgumentCommand, word="/approve", command_type=Approve):
    """`/approve [#REQUEST_ID]`."""


@REGISTRY.declare(
    ApproveCommand,
    roles=SELLER,
    statuses=AWAITING_SELLER,
    help=N_("/approve — approve the reshipment"),
    button=CardButton(
        action="approve",
        card=CardKind.request,
        # TRANSLATORS: button labels; short, as on a button.
        label=N_("Approve reshipment"),
        style=ButtonStyle.primary,
    ),
)
def _approve(request: ReshipmentRequest, cmd: Approve, now: datetime, policy: Policy) -> RuleResult:
    closed = _seller_window_closed(request, now)
    return closed or approve(request, now, policy, cmd.actor, DecidedBy.seller)


# --- /reject CODE COMMENT (T3) -----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RejectCommand(ParsedCommand, word="/reject", command_type=Reject):
    """`reason_code` is lower-cased but not checked; `comment` may be empty."""

    reason_code: str
    comment: str

    @classmethod
    def parse(cls, ref: str | None, rest: str) -> Self | None:
        code, comment = split_head(rest.lstrip())
        if not code:
            return None
        return cls(
            reason_code=code.lower(), comment=unquote(comment.strip()).strip(), request_ref=ref
        )

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Self:
        return cls(reason_code=form["reason_code"], comment=form["comment"])

    def to_command(self, actor: Actor) -> Reject:
        return Reject(actor=actor, reason_code=self.reason_code, comment=self.comment)


@REGISTRY.declare(
    RejectCommand,
    roles=SELLER,
    statuses=AWAITING_SELLER,
    # TRANSLATORS: keep "/reject CODE COMMENT" and the codes ({codes}) as they are.
    usage=N_("/reject CODE COMMENT, CODE one of {codes} {ref_note}"),
    help=N_("/reject CODE COMMENT — reject with a reason code and an explanation"),
    button=CardButton(
        action="reject",
        card=CardKind.request,
        label=N_("Reject"),
        style=ButtonStyle.danger,
        form=("reason_code", "comment"),
        reply_as="/reject CODE COMMENT",
    ),
)
def _reject(request: ReshipmentRequest, cmd: Reject, now: datetime, policy: Policy) -> RuleResult:
    closed = _seller_window_closed(request, now)
    return closed or reject(request, now, policy, cmd.actor, cmd.reason_code, cmd.comment)


# --- /offer AMOUNT or /offer N% (T5, T5b) ------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OfferCommand(ParsedCommand, word="/offer", command_type=OfferPartialRefund):
    """Exactly one of `amount` (a plain decimal text, e.g. `12.50`) or `percent` is set.

    `currency_symbol` is the symbol typed with the amount (`$12.50` → `$`), if any; check
    it with `symbol_fits_currency` before using the amount, so `€12` on a THB order is
    refused instead of becoming 12 THB.
    """

    amount: str | None = None
    percent: Decimal | None = None
    currency_symbol: str | None = None

    @classmethod
    def parse(cls, ref: str | None, rest: str) -> Self | None:
        words = tokens(rest)
        typed = None if words is None else read_amount(words)
        if typed is None:
            return None
        return cls(
            amount=typed.amount,
            percent=typed.percent,
            currency_symbol=typed.currency_symbol,
            request_ref=ref,
        )

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Self:
        """Read as the chat reads it; what is not an amount is refused with the typed text."""
        typed = form["amount"].strip()
        return cls.parse(None, typed) or cls(amount=typed)

    def to_command(self, actor: Actor) -> OfferPartialRefund:
        return OfferPartialRefund(
            actor=actor,
            amount=self.amount,
            percent=self.percent,
            currency_symbol=self.currency_symbol,
        )


@REGISTRY.declare(
    OfferCommand,
    roles=SELLER,
    statuses=AWAITING_SELLER,
    offered_if=can_offer_partial,
    # TRANSLATORS: keep the commands; the example amounts may use the local decimal comma.
    usage=N_(
        "/offer AMOUNT or /offer N%, e.g. /offer 12.50 or /offer 40% "
        "(no thousand separators) {ref_note}"
    ),
    help=N_("/offer AMOUNT or /offer N% — offer a partial refund instead"),
    button=CardButton(
        action="offer_partial_refund",
        card=CardKind.request,
        label=N_("Offer partial refund"),
        style=ButtonStyle.secondary,
        form=("amount",),
        reply_as="/offer AMOUNT",
    ),
)
def _offer(
    request: ReshipmentRequest, cmd: OfferPartialRefund, now: datetime, policy: Policy
) -> RuleResult:
    return _seller_window_closed(request, now) or offer_partial_refund(request, now, policy, cmd)


# --- /refund (T4) ------------------------------------------------------------------------


class RefundCommand(NoArgumentCommand, word="/refund", command_type=RefundOnly):
    """`/refund [#REQUEST_ID]`."""


@REGISTRY.declare(
    RefundCommand,
    roles=SELLER,
    statuses=AWAITING_SELLER,
    offered_if=can_refund_only,
    help=N_("/refund — refund the affected items in full instead"),
    button=CardButton(
        action="refund_only",
        card=CardKind.request,
        label=N_("Refund in full"),
        style=ButtonStyle.secondary,
    ),
)
def _refund(
    request: ReshipmentRequest, cmd: RefundOnly, now: datetime, policy: Policy
) -> RuleResult:
    return _seller_window_closed(request, now) or refund_in_full(request, now, policy, cmd.actor)


# --- /ship or /ship CARRIER TRACKING (T10) -----------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ShipCommand(ParsedCommand, word="/ship", command_type=ArrangeShipment):
    """Platform shipping without carrier and tracking; seller shipping with both."""

    carrier: str | None = None
    tracking_number: str | None = None

    @classmethod
    def parse(cls, ref: str | None, rest: str) -> Self | None:
        words = tokens(rest)
        if words == []:
            return cls(request_ref=ref)
        if words is None or len(words) != 2:
            return None
        carrier, tracking_number = words
        return cls(carrier=carrier, tracking_number=tracking_number, request_ref=ref)

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Self:
        return cls(carrier=form["carrier"] or None, tracking_number=form["tracking_number"] or None)

    def to_command(self, actor: Actor) -> ArrangeShipment:
        return ArrangeShipment(
            actor=actor, carrier=self.carrier, tracking_number=self.tracking_number
        )


def _ship_reply(request: ReshipmentRequest) -> str:
    seller_ships = request.order.shipping_option is ShippingOption.seller
    return "/ship CARRIER TRACKING" if seller_ships else "/ship"


@REGISTRY.declare(
    ShipCommand,
    roles=SELLER,
    statuses=frozenset({Status.awaiting_shipment}),
    # TRANSLATORS: keep the commands and the example /ship "Kerry Express" TH123.
    usage=N_(
        "/ship for platform shipping, or /ship CARRIER TRACKING for seller shipping "
        '(quote a carrier with spaces: /ship "Kerry Express" TH123) {ref_note}'
    ),
    help=N_("/ship, or /ship CARRIER TRACKING for seller shipping — ship the replacement"),
    button=CardButton(
        action="arrange_shipment",
        card=CardKind.request,
        label=N_("Arrange shipment"),
        style=ButtonStyle.primary,
        form=("carrier", "tracking_number"),
        reply_as=_ship_reply,
    ),
)
def _ship(
    request: ReshipmentRequest, cmd: ArrangeShipment, now: datetime, policy: Policy
) -> RuleResult:
    return arrange_shipment(request, now, cmd)


# --- /accept, /decline (T6, T7) ----------------------------------------------------------


class AcceptCommand(NoArgumentCommand, word="/accept", command_type=AcceptOffer):
    """`/accept [#REQUEST_ID]`: the text fallback of the offer card's button."""


@REGISTRY.declare(
    AcceptCommand,
    roles=BUYER,
    statuses=OFFER_PENDING,
    help=N_("/accept — accept the seller's offer"),
    button=CardButton(
        action="accept_offer",
        card=CardKind.offer,
        label=N_("Accept offer"),
        style=ButtonStyle.primary,
    ),
)
def _accept(
    request: ReshipmentRequest, cmd: AcceptOffer, now: datetime, policy: Policy
) -> RuleResult:
    return accept_offer(request, now, cmd.actor)


class DeclineCommand(NoArgumentCommand, word="/decline", command_type=DeclineOffer):
    """`/decline [#REQUEST_ID]`: the text fallback of the offer card's button."""


@REGISTRY.declare(
    DeclineCommand,
    roles=BUYER,
    statuses=OFFER_PENDING,
    help=N_("/decline — decline the offer and keep asking for a reshipment"),
    button=CardButton(
        action="decline_offer",
        card=CardKind.offer,
        label=N_("Decline offer"),
        style=ButtonStyle.secondary,
    ),
)
def _decline(
    request: ReshipmentRequest, cmd: DeclineOffer, now: datetime, policy: Policy
) -> RuleResult:
    return back_to_seller(request, now, policy, OfferStatus.declined, cmd.actor)


# --- /cancel (T13 by the buyer) ----------------------------------------------------------


class CancelCommand(NoArgumentCommand, word="/cancel", command_type=CancelRequest):
    """`/cancel [#REQUEST_ID]`."""


@REGISTRY.declare(
    CancelCommand,
    roles=BUYER,
    statuses=OPEN_UNSHIPPED,
    refused_in={Status.shipped: "already_shipped"},
    help=N_("/cancel — cancel your reshipment request"),
    button=CardButton(
        action="cancel_request",
        card=CardKind.offer,
        label=N_("Cancel request"),
        style=ButtonStyle.danger,
    ),
)
def _cancel(
    request: ReshipmentRequest, cmd: CancelRequest, now: datetime, policy: Policy
) -> RuleResult:
    return cancel(request, now, cmd.actor)


# --- /track, /status, /help: answers, changing nothing -----------------------------------


class TrackCommand(NoArgumentCommand, word="/track", command_type=Track):
    """`/track [#REQUEST_ID]`."""


def _has_shipped(request: ReshipmentRequest, policy: Policy) -> bool:
    return request.status is Status.shipped or (
        request.status.terminal and request.shipment is not None
    )


@REGISTRY.declare(
    TrackCommand,
    roles=PEOPLE,
    offered_if=_has_shipped,
    help=N_("/track — shipment status and tracking history"),
    button=CardButton(
        action="check_logistics",
        card=CardKind.shipment,
        label=N_("Track shipment"),
        style=ButtonStyle.primary,
    ),
)
def _track(request: ReshipmentRequest, cmd: Track, now: datetime, policy: Policy) -> RuleResult:
    reply = replies.track_reply(request, cmd.actor)
    if reply is None:
        return Refusal("not_shipped", {"request_id": request.request_id})
    return Outcome(None, (reply,))


class StatusCommand(NoArgumentCommand, word="/status", command_type=ShowStatus):
    """`/status [#REQUEST_ID]`."""


@REGISTRY.declare(
    StatusCommand,
    roles=PEOPLE,
    help=N_("/status — where the request stands and its deadlines"),
)
def _status(
    request: ReshipmentRequest, cmd: ShowStatus, now: datetime, policy: Policy
) -> RuleResult:
    return Outcome(None, (replies.status_reply(request, cmd.actor),))


class HelpCommand(NoArgumentCommand, word="/help", command_type=Help):
    """`/help [#REQUEST_ID]`."""


@REGISTRY.declare(
    HelpCommand,
    roles=ANYONE,
    statuses=ANY_STATUS,
    needs_request=False,
    help=N_("/help — what you can do now"),
)
def _help(
    request: ReshipmentRequest | None, cmd: Help, now: datetime, policy: Policy
) -> RuleResult:
    """Another person's request is as none: they are told only /help."""
    actor = cmd.actor
    is_party = request is not None and request.party(actor.role) == actor.id
    commands = REGISTRY.available(request if is_party else None, actor.role, policy)
    return Outcome(None, replies.help_reply(request, actor, commands))


# --- derived tables, for readers of the texts --------------------------------------------

COMMAND_HELP: dict[str, str] = {command.word: command.help for command in REGISTRY}
"""What each chat command does, for /help (English msgids)."""
