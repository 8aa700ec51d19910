"""Every text the bot says, by message id, in English (the gettext msgids).

The rules name a message and give typed parameters; the chat layer translates the
template for the reader and formats money and moments in their locale and timezone.
Placeholders are `{name}`; the names are the parameters the rules pass.
"""

from __future__ import annotations


def N_(text: str) -> str:
    """Mark a string for the catalog without translating it here."""
    return text


MESSAGES: dict[str, str] = {
    # --- what happened -------------------------------------------------------------
    "request_received": N_(
        "We received your reshipment request {request_id}. The seller has until "
        "{seller_due_at} to answer; without an answer it is approved automatically."
    ),
    "approved_buyer": N_(
        "The seller approved your reshipment (request {request_id}). "
        "The replacement ships by {ship_by}."
    ),
    "approved_seller": N_(
        "You approved reshipment {request_id}. Ship the replacement by {ship_by} with "
        "the order's {shipping_option}, at your cost. Send /ship when it is ready."
    ),
    "auto_approved_buyer": N_(
        "The seller did not answer in time, so your reshipment (request {request_id}) was "
        "approved automatically. The replacement ships by {ship_by}."
    ),
    "auto_approved_seller": N_(
        "You did not answer request {request_id} in time, so it was approved automatically. "
        "Ship the replacement by {ship_by} with the order's {shipping_option}, "
        "at your cost."
    ),
    "offer_sent_seller": N_(
        "Your offer of {amount} for request {request_id} was sent to the buyer, who has "
        "until {offer_expires_at} to answer. Your own answer time is paused meanwhile."
    ),
    "offer_accepted_seller": N_(
        "The buyer accepted your offer: {amount} is refunded for request {request_id}."
    ),
    "offer_declined_seller": N_(
        "The buyer declined your offer of {amount} for request {request_id}. "
        "Approve or reject the reshipment by {seller_due_at}."
    ),
    "offer_expired_seller": N_(
        "The buyer did not answer your offer of {amount} for request {request_id}. "
        "Approve or reject the reshipment by {seller_due_at}."
    ),
    "refunded_seller": N_(
        "Request {request_id} is settled with a full refund of {amount} to the buyer."
    ),
    "rejected_seller": N_("You rejected request {request_id}. The buyer was told why."),
    "reminder_seller": N_(
        "Reminder: answer reshipment request {request_id} by {seller_due_at}, "
        "or it is approved automatically."
    ),
    "overdue_seller": N_(
        "The replacement for request {request_id} was due to ship by {ship_by}. "
        "Ship it now with /ship."
    ),
    "shipment_requested_seller": N_(
        "Shipping is being arranged with the platform for request {request_id}; "
        "the tracking number follows."
    ),
    "shipped_seller": N_(
        "The replacement for request {request_id} is shipped with {carrier}, "
        "tracking number {tracking_number}."
    ),
    "shipped_buyer": N_(
        "Your replacement for request {request_id} is on its way with {carrier}, "
        "tracking number {tracking_number}."
    ),
    "cancelled_by_buyer_seller": N_("The buyer cancelled request {request_id}."),
    "cancelled_by_platform_seller": N_("The platform cancelled request {request_id}."),
    "cancelled_by_platform_buyer": N_("The platform cancelled your request {request_id}."),
    # --- answers to /status, /track, /help ----------------------------------------
    "status_awaiting_seller": N_(
        "Request {request_id}: waiting for the seller, who has until {seller_due_at}."
    ),
    "status_offer_pending": N_(
        "Request {request_id}: the seller offered a refund of {amount}; the buyer has "
        "until {offer_expires_at} to accept or decline."
    ),
    "status_awaiting_shipment": N_(
        "Request {request_id}: approved; the replacement ships by {ship_by}."
    ),
    "status_shipped": N_(
        "Request {request_id}: shipped with {carrier}, tracking number {tracking_number}; "
        "latest status: {shipment_status}."
    ),
    "status_closed": N_("Request {request_id}: {status}."),
    "tracking": N_(
        "Request {request_id} ships with {carrier}, tracking number {tracking_number}. "
        "Latest status: {shipment_status}.\n{events}"
    ),
    "tracking_pending": N_(
        "Request {request_id} is shipped; the carrier and tracking number are on their way."
    ),
    "help": N_("What you can do now:\n{commands}"),
    "slow_down": N_(
        "You are sending commands faster than I can answer them. "
        "Please wait a minute, then send the one you need."
    ),
    # --- refusals (T14) ------------------------------------------------------------
    "refused_only_seller": N_("Only the seller can do that for request {request_id}."),
    "refused_only_buyer": N_("Only the buyer can do that for request {request_id}."),
    "refused_not_your_request": N_(
        "Request {request_id} belongs to another buyer or seller; you cannot act on it."
    ),
    "refused_agent_read_only": N_("Agents can follow requests here but not act on them."),
    "refused_request_closed": N_(
        "Request {request_id} is already closed ({status}); it cannot change any more."
    ),
    "refused_not_now": N_("{command} is not possible now: request {request_id} is {status}."),
    "refused_stale_card": N_(
        "This card is out of date. Please use the latest card for request {request_id}."
    ),
    "refused_invalid_token": N_("This button is not valid for you."),
    "refused_action_not_available": N_(
        "That action is not available on this card for request {request_id}."
    ),
    "refused_seller_window_closed": N_(
        "The time to answer request {request_id} ended at {seller_due_at}; "
        "it is being approved automatically."
    ),
    "refused_offer_expired": N_(
        "The offer for request {request_id} expired at {offer_expires_at}; "
        "it can no longer be accepted."
    ),
    "refused_invalid_amount": N_(
        "{amount} is not an amount. Write it like {example}, or as a percentage like 40%."
    ),
    "refused_amount_not_positive": N_("A partial refund must be more than zero."),
    "refused_amount_too_precise": N_(
        "{currency} amounts have at most {digits} digits after the decimal point."
    ),
    "refused_amount_above_affected_value": N_(
        "The offer of {amount} is more than the affected value of {affected_value}. "
        "Offer less, or use /refund to refund in full."
    ),
    "refused_wrong_currency": N_(
        "Request {request_id} is in {currency}; offer an amount in {currency}."
    ),
    "refused_invalid_percent": N_("A percentage offer must be between 0% and 100%."),
    "refused_nothing_to_refund": N_(
        "The affected items of request {request_id} have no value to refund; "
        "you can /approve or /reject it."
    ),
    "refused_offer_limit_reached": N_(
        "No more partial refund offers are possible for request {request_id}; "
        "you can /approve or /reject it."
    ),
    "refused_proposals_closed": N_(
        "After the buyer declined or let your offer lapse, you can only /approve or /reject "
        "request {request_id}."
    ),
    "refused_proposal_not_allowed": N_(
        "That proposal is not available for requests about {reason}."
    ),
    "refused_unknown_reject_code": N_("{code} is not a reject reason. Use one of: {codes}."),
    "refused_comment_too_short": N_(
        "Please explain the rejection in at least {min_length} characters."
    ),
    "refused_platform_shipping": N_(
        "This order ships with platform shipping: send /ship without a carrier or tracking number."
    ),
    "refused_tracking_required": N_(
        "This order ships with seller shipping: send /ship CARRIER TRACKING_NUMBER."
    ),
    "refused_replacement_order_pending": N_(
        "The replacement order for request {request_id} is still being created; "
        "try again in a moment."
    ),
    "refused_already_shipped": N_(
        "Request {request_id} has already shipped and can no longer be cancelled."
    ),
    "refused_not_shipped": N_("Request {request_id} has not shipped yet."),
    "refused_tracking_number_taken": N_(
        "That tracking number already belongs to another shipment. Send the carrier and "
        "tracking number of the parcel for request {request_id}: /ship CARRIER TRACKING_NUMBER."
    ),
    "refused_no_request": N_("There is no reshipment request in this conversation."),
    "refused_several_open": N_(
        "This conversation has several open requests: {requests}. Name one, for example: {example}"
    ),
    "refused_unknown_request": N_("There is no request {request_id} in this conversation."),
    "refused_unknown_command": N_(
        "{command} is not a command I know. Send /help to see what you can do."
    ),
    "refused_usage": N_("Usage: {usage}"),
}

# Short labels for values shown inside texts and cards.
LABELS: dict[str, str] = {
    "awaiting_seller": N_("waiting for the seller"),
    "offer_pending": N_("waiting for the buyer's answer to an offer"),
    "awaiting_shipment": N_("approved, waiting for shipment"),
    "shipped": N_("shipped"),
    "delivered": N_("delivered"),
    "rejected": N_("rejected"),
    "refunded": N_("refunded"),
    "cancelled": N_("cancelled"),
    "missing_items": N_("missing items"),
    "broken_or_unusable": N_("broken or unusable items"),
    # shipping options, as in "with the order's {shipping_option}"
    "platform": N_("platform shipping"),
    "seller": N_("seller shipping"),
    "requested": N_("shipment requested"),
    "label_created": N_("label created"),
    "picked_up": N_("picked up"),
    "in_transit": N_("in transit"),
    "out_for_delivery": N_("out for delivery"),
    "failed_attempt": N_("delivery attempt failed"),
    "exception": N_("delivery problem"),
    "returned_to_sender": N_("returned to sender"),
    "evidence_insufficient": N_("the evidence is not sufficient"),
    "item_received_complete": N_("the items were received complete"),
    "damage_after_delivery": N_("the damage happened after delivery"),
    "outside_policy_window": N_("the request is outside the policy window"),
    "duplicate_request": N_("this is a duplicate request"),
    "other": N_("other reason"),
}

# The commands' /help and usage texts and their buttons' labels are declared with each
# command, in bot/core/registry.py.
