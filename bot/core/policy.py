"""The marketplace policy the rules apply (SPEC §1, configured by SPEC §4)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from pydantic import Field, field_validator

from bot.core.models import Frozen, Reason, ReshipmentRequest


class Proposal(StrEnum):
    """Another solution a seller may propose instead of reshipping."""

    refund_only = "refund_only"
    partial_refund = "partial_refund"


MONDAY_TO_FRIDAY = frozenset({0, 1, 2, 3, 4})
MONDAY_TO_SATURDAY = frozenset({0, 1, 2, 3, 4, 5})


def _default_proposals() -> dict[Reason, frozenset[Proposal]]:
    both = frozenset(Proposal)
    return {reason: both for reason in Reason}


def _default_working_weeks() -> dict[str, frozenset[int]]:
    return {"VN": MONDAY_TO_SATURDAY}


class Policy(Frozen):
    seller_response_window: timedelta = timedelta(hours=48)
    offer_window: timedelta = timedelta(hours=24)
    seller_reminder_before: timedelta = timedelta(hours=12)
    ship_working_days: int = Field(default=2, ge=1, le=30)
    max_partial_offers: int = Field(default=1, ge=0, le=10)
    min_reject_comment: int = Field(default=10, ge=0)
    proposals: dict[Reason, frozenset[Proposal]] = Field(default_factory=_default_proposals)
    working_weeks: dict[str, frozenset[int]] = Field(default_factory=_default_working_weeks)
    default_working_week: frozenset[int] = MONDAY_TO_FRIDAY

    @field_validator("seller_response_window", "offer_window")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than zero")
        return value

    @field_validator("seller_reminder_before")
    @classmethod
    def _not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("must not be negative")
        return value

    def allows(self, reason: Reason, proposal: Proposal) -> bool:
        return proposal in self.proposals.get(reason, frozenset())

    def working_week(self, region: str) -> frozenset[int]:
        """Weekdays (Monday = 0) that are working days in `region`."""
        return self.working_weeks.get(region.upper(), self.default_working_week)


# --- what the policy still allows one request ---------------------------------------------


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
