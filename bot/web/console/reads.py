"""What each console page reads from the store, and the queue's query string.

Search (`q`) looks one value up as a request id, an order id, a conversation id and a
tracking number, each through an index (request id, order id, tracking number) or the
conversation's own hash — never a scan — so it costs a few reads however many requests
there are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from bot.core.models import ReshipmentRequest
from bot.runtime.services import Services
from bot.web.console.views import NEED_CHOICES, STATUS_CHOICES, filter_statuses, queue_order
from cards.model import Card
from cards.render import RenderError
from storage.base import DeadLetter, RequestFilter, SentMessage

PAGE_SIZE = 50
SEARCH_LIMIT = 100
DEAD_LETTERS_SHOWN = 200
MAX_QUERY_TEXT = 200
MAX_CURSOR = 1000  # a cursor holds two ids of up to 128 characters, base64-encoded


@dataclass(frozen=True)
class QueueQuery:
    """The queue page's filters, from and back to its query string."""

    status: str = "open"
    need: str = ""
    shop: str = ""
    overdue: bool = False
    q: str = ""
    cursor: str = ""

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> QueueQuery:
        status = query.get("status", "open")
        need = query.get("need", "")
        return cls(
            status=status if status in STATUS_CHOICES else "open",
            need=need if need in NEED_CHOICES else "",
            shop=query.get("shop", "").strip()[:MAX_QUERY_TEXT],
            overdue=query.get("overdue", "") in ("1", "true", "on"),
            q=query.get("q", "").strip()[:MAX_QUERY_TEXT],
            cursor=query.get("cursor", "")[:MAX_CURSOR],
        )

    def request_filter(self) -> RequestFilter:
        statuses, open_only = filter_statuses(self.status, self.need)
        return RequestFilter(
            status=statuses,
            shop_id=self.shop or None,
            overdue=True if self.overdue else None,
            open_only=open_only,
        )

    def query_string(self, **changes: str | bool) -> str:
        """This query with `changes`, as a query string (defaults left out); cursor reset."""
        changed = replace(self, cursor="", **changes)  # type: ignore[arg-type]
        pairs = [
            (name, value)
            for name, value, default in (
                ("status", changed.status, "open"),
                ("need", changed.need, ""),
                ("shop", changed.shop, ""),
                ("overdue", "1" if changed.overdue else "", ""),
                ("q", changed.q, ""),
            )
            if value != default
        ]
        return urlencode(pairs)

    def link(self, **changes: str | bool) -> str:
        query = self.query_string(**changes)
        return f"/agent?{query}" if query else "/agent"

    def page_link(self, cursor: str) -> str:
        """This query's next page."""
        query = self.query_string()
        return (
            f"/agent?{query}&{urlencode({'cursor': cursor})}"
            if query
            else (f"/agent?{urlencode({'cursor': cursor})}")
        )

    @property
    def filtered(self) -> bool:
        return self != QueueQuery(cursor=self.cursor)


@dataclass(frozen=True)
class QueuePage:
    query: QueueQuery
    requests: list[ReshipmentRequest]
    next_cursor: str | None
    bad_cursor: bool = False


async def load_queue(services: Services, query: QueueQuery) -> QueuePage:
    store = services.store
    if query.q:
        return QueuePage(query, await search(services, query.q), None)
    try:
        page = await store.list_requests(query.request_filter(), PAGE_SIZE, query.cursor or None)
    except ValueError:
        page = await store.list_requests(query.request_filter(), PAGE_SIZE)
        return QueuePage(query, list(page.items), page.next_cursor, bad_cursor=True)
    return QueuePage(query, list(page.items), page.next_cursor)


async def search(services: Services, text: str) -> list[ReshipmentRequest]:
    """Requests whose id, order id, conversation id or tracking number is `text`."""
    store = services.store
    found: dict[str, ReshipmentRequest] = {}

    def keep(request: ReshipmentRequest | None) -> None:
        if request is not None and len(found) < SEARCH_LIMIT:
            found[request.request_id] = request

    keep(await store.get_request(text))
    for request_id in (await store.locate_order(text))[:SEARCH_LIMIT]:
        request = await store.get_request(request_id)
        keep(request if request is not None and request.order.order_id == text else None)
    for request in (await store.read_conversation(text)).requests:
        keep(request)
    located = await store.locate_tracking(text)
    if located is not None:
        request = await store.get_request(located[1])
        shipment = request.shipment if request is not None else None
        keep(request if shipment is not None and shipment.tracking_number == text else None)
    return queue_order(found.values())


@dataclass(frozen=True)
class CardView:
    """A card as its reader sees it (rendered from the same Card JSON), or why it is not."""

    card_id: str
    card: Card | None
    problem: str = ""


def card_views(services: Services, request: ReshipmentRequest) -> list[CardView]:
    views = []
    for state in request.cards:
        try:
            views.append(CardView(state.card_id, services.renderer.card(request, state.card_id)))
        except RenderError as problem:
            views.append(CardView(state.card_id, None, str(problem)))
    return views


@dataclass(frozen=True)
class ConversationPage:
    conversation_id: str
    requests: list[ReshipmentRequest]
    messages: list[SentMessage]
    cards: list[tuple[ReshipmentRequest, list[CardView]]]


async def load_conversation(services: Services, conversation_id: str) -> ConversationPage | None:
    view = await services.store.read_conversation(conversation_id)
    messages = await services.store.sent_messages(conversation_id)
    if not view.requests and not messages:
        return None
    requests = list(view.requests)
    cards = [(request, card_views(services, request)) for request in requests]
    return ConversationPage(conversation_id, requests, list(reversed(messages)), cards)


async def load_dead_letters(services: Services) -> list[DeadLetter]:
    return await services.store.dead_letters(limit=DEAD_LETTERS_SHOWN)
