"""Which request a chat command means (SPEC §2.1).

A command acts on the conversation's single open request; with several open ones the
first argument `#REQUEST_ID` names one, and without it the bot lists them. With no open
request, the latest one is meant (so /status and /track still work after the end, and
other commands get a clear "already closed").
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.models import ReshipmentRequest
from bot.core.outcome import Refusal


def select_request(
    requests: Sequence[ReshipmentRequest], ref: str | None, command_word: str
) -> ReshipmentRequest | Refusal:
    if ref is not None:
        wanted = ref.lstrip("#")
        for request in requests:
            if request.request_id == wanted:
                return request
        return Refusal("unknown_request", {"request_id": wanted})
    open_requests = sorted(
        (request for request in requests if request.is_open), key=lambda r: r.created_at
    )
    if len(open_requests) == 1:
        return open_requests[0]
    if len(open_requests) > 1:
        ids = tuple(f"#{request.request_id}" for request in open_requests)
        example = f"{command_word} #{open_requests[0].request_id}"
        return Refusal("several_open", {"requests": ids, "example": example})
    if requests:
        return max(requests, key=lambda r: (r.created_at, r.request_id))
    return Refusal("no_request")
