"""Requests in every state a card can show: the samples of `cards.samples`.

They are the same ones `reshipbot cards preview` renders; see that module for how each
scenario is driven through `bot.rules.decide`.
"""

from __future__ import annotations

from cards.samples import (
    BUYER,
    CARRIER,
    LOCALE_MARKETS,
    MARKETS,
    POLICY,
    PRICES,
    REQUEST_ID,
    SCENARIO_BY_NAME,
    SCENARIOS,
    SELLER,
    T0,
    TRACKING,
    Flow,
    Market,
    Scenario,
    approved,
    carrier_event,
    create_command,
    created,
    delivered,
    in_transit,
    market_command,
    offered,
    order_lines,
    shipped,
    with_replacement,
)

__all__ = [
    "BUYER",
    "CARRIER",
    "LOCALE_MARKETS",
    "MARKETS",
    "POLICY",
    "PRICES",
    "REQUEST_ID",
    "SCENARIOS",
    "SCENARIO_BY_NAME",
    "SELLER",
    "T0",
    "TRACKING",
    "Flow",
    "Market",
    "Scenario",
    "approved",
    "carrier_event",
    "create_command",
    "created",
    "delivered",
    "in_transit",
    "market_command",
    "offered",
    "order_lines",
    "shipped",
    "with_replacement",
]
