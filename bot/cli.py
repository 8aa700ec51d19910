"""`reshipbot` — serve the bot, or send it a signed example event."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any

import orjson

from bot.core.errors import ConfigError
from bot.runtime.config import DEV_AGENT_TOKEN, Settings, load_settings

log = logging.getLogger("reshipbot")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    try:
        settings = load_settings()
    except ConfigError as problem:
        print(f"reshipbot: configuration error\n{problem}", file=sys.stderr)
        return 2
    result: int = args.run(settings, args)
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reshipbot",
        description="Runs the aftersale reshipment process inside a shop's chat.",
    )
    commands = parser.add_subparsers(title="commands")
    serve = commands.add_parser("serve", help="run the service (webhooks, agent API, workers)")
    serve.add_argument(
        "--role",
        choices=("all", "web", "worker"),
        default="all",
        help="web: webhooks and API only; worker: timers and outbox only",
    )
    serve.set_defaults(run=_serve)
    send = commands.add_parser("send", help="send a signed example event to a running bot")
    kinds = send.add_subparsers(title="events", dest="kind", required=True)
    demo = kinds.add_parser("demo", help="a new reshipment request (two broken mugs)")
    demo.add_argument("--request", default=None, help="the request id (default: random)")
    chat = kinds.add_parser("chat", help="a chat message, e.g. a command")
    chat.add_argument("text", help="the message text, e.g. /approve")
    chat.add_argument(
        "--as",
        dest="sender",
        default="seller:seller-demo",
        help="ROLE:ID of the sender (default seller:seller-demo; "
        "the demo buyer is buyer:buyer-demo)",
    )
    raw = kinds.add_parser("raw", help="an event envelope from a JSON file, signed as is")
    raw.add_argument("text", metavar="FILE")
    for sub in (demo, chat, raw):
        sub.add_argument("--url", help="the bot's base URL (default: from HOST and PORT)")
        sub.add_argument("--conversation", default="conv-demo-1")
        sub.set_defaults(run=_send)
    sandbox = commands.add_parser(
        "sandbox", help="serve the sandbox platform API alone (for a bot elsewhere)"
    )
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8090)
    sandbox.set_defaults(run=_sandbox)
    cards = commands.add_parser("cards", help="card tools")
    card_tools = cards.add_subparsers(title="tools", dest="tool", required=True)
    preview = card_tools.add_parser(
        "preview", help="render every card kind and state in every locale to HTML pages"
    )
    preview.add_argument("--out", required=True, help="the directory to write the pages to")
    preview.set_defaults(run=_cards_preview)
    return parser


# --- serve -------------------------------------------------------------------------------


def _sandbox(settings: Settings, args: argparse.Namespace) -> int:
    """The sandbox platform alone; it verifies with the bot's app key and secrets. Bound
    to another address than loopback, its `/_sandbox/state` wants the agent token."""
    from aiohttp import web

    from bot.platforms.generic.sandbox import sandbox_app
    from bot.runtime.config import is_loopback

    secrets = [secret.get_secret_value() for secret in settings.app_secret]
    readers = None
    if not is_loopback(args.host):
        readers = [token.get_secret_value() for token in settings.agent_token]
    app = sandbox_app(settings.app_key, secrets, state_readers=readers)
    web.run_app(app, host=args.host, port=args.port, print=None)
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.clock import SystemClock
    from bot.runtime.logs import configure_logging
    from bot.runtime.services import Services
    from bot.web.app import build_app
    from bot.web.serving import run_web

    configure_logging(settings.log_level)
    for warning in settings.dev_warnings():
        log.warning(warning)
    services = Services(settings, SystemClock(), role=args.role)
    if args.role == "worker":
        print(_banner(settings, args.role), flush=True)
        asyncio.run(_run_worker(services))
        return 0
    app = build_app(services)
    print(_banner(settings, args.role), flush=True)
    asyncio.run(run_web(app, settings, services.metrics))
    return 0


async def _run_worker(services: Any) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await services.start()
    try:
        await stop.wait()
    finally:
        await services.stop()


def _banner(settings: Settings, role: str) -> str:
    base = f"http://{_client_host(settings)}:{settings.port}"
    store = "Redis" if settings.redis_url else "embedded (in memory; nothing kept across restarts)"
    platform = settings.platform_url or f"sandbox at {base}/sandbox"
    token = DEV_AGENT_TOKEN if _uses_dev_token(settings) else "$RESHIPBOT_AGENT_TOKEN"
    if role == "worker":
        return f"reshipbot worker: timers and outbox on {store}; platform: {platform}"
    return "\n".join(
        [
            f"reshipbot is serving on {base}  (role: {role})",
            f"  store:     {store}",
            f"  platform:  {platform}",
            f"  webhook:   POST {base}/webhooks/chat",
            f"  console:   {base}/agent",
            f"  agent API: curl -H 'Authorization: Bearer {token}' {base}/api/requests",
            "  first event (in another terminal):",
            "      uv run reshipbot send demo",
            "      uv run reshipbot send chat --as seller:seller-demo /approve",
        ]
    )


def _client_host(settings: Settings) -> str:
    return "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host


def _uses_dev_token(settings: Settings) -> bool:
    return any(token.get_secret_value() == DEV_AGENT_TOKEN for token in settings.agent_token)


# --- cards preview -----------------------------------------------------------------------


def _cards_preview(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from cards.preview import write_preview

    for path in write_preview(Path(args.out)):
        print(path)
    return 0


# --- send --------------------------------------------------------------------------------


def demo_event(conversation_id: str, request_id: str, now: int) -> dict[str, Any]:
    """A realistic `reshipment.requested` event: two mugs of three arrived broken."""
    return {
        "type": "reshipment.requested",
        "event_id": f"evt-{uuid.uuid4().hex[:12]}",
        "shop_id": "shop-demo",
        "timestamp": now,
        "data": {
            "request_id": request_id,
            "conversation_id": conversation_id,
            "requested_at": now,
            "reason": "broken_or_unusable",
            "items": [{"line_id": "line-1", "quantity": 2}],
            "evidence": {
                "note": "Two of the three mugs arrived cracked.",
                "image_urls": ["https://example.com/evidence/mug.jpg"],
            },
            "buyer": {"id": "buyer-demo", "locale": "en"},
            "seller": {
                "id": "seller-demo",
                "locale": "en",
                "timezone": "Asia/Bangkok",
                "region": "TH",
            },
            "order": {
                "order_id": "order-demo-1",
                "currency": "USD",
                "shipping_option": "platform",
                "lines": [
                    {
                        "line_id": "line-1",
                        "sku": "MUG-BLUE",
                        "name": "Blue ceramic mug",
                        "quantity": 3,
                        "unit_price": "12.50",
                    },
                    {
                        "line_id": "line-2",
                        "sku": "TEA-50",
                        "name": "Green tea, 50 bags",
                        "quantity": 1,
                        "unit_price": "8.00",
                    },
                ],
            },
        },
    }


def chat_event(conversation_id: str, sender: str, text: str, now: int) -> dict[str, Any]:
    role, _, sender_id = sender.partition(":")
    return {
        "type": "chat.message",
        "event_id": f"evt-{uuid.uuid4().hex[:12]}",
        "shop_id": "shop-demo",
        "timestamp": now,
        "data": {
            "conversation_id": conversation_id,
            "message_id": f"msg-{uuid.uuid4().hex[:12]}",
            "sender": {"role": role, "id": sender_id or f"{role}-demo"},
            "text": text,
        },
    }


def _send(settings: Settings, args: argparse.Namespace) -> int:
    now = int(time.time())
    if args.kind == "demo":
        request_id = getattr(args, "request", None) or f"RQ-{uuid.uuid4().hex[:8].upper()}"
        event = demo_event(args.conversation, request_id, now)
    elif args.kind == "chat":
        event = chat_event(args.conversation, args.sender, args.text, now)
    else:
        with open(args.text, "rb") as source:
            event = orjson.loads(source.read())
    url = (args.url or f"http://{_client_host(settings)}:{settings.port}") + "/webhooks/chat"
    status, answer = asyncio.run(_post(settings, url, orjson.dumps(event)))
    print(f"{event.get('type')} {event.get('event_id')} -> {status} {answer}")
    if args.kind == "demo" and status == 200:
        print(
            f"request {event['data']['request_id']} in conversation {args.conversation}; "
            "now try:\n  uv run reshipbot send chat --as seller:seller-demo /approve"
        )
    return 0 if status == 200 else 1


async def _post(settings: Settings, url: str, body: bytes) -> tuple[int, str]:
    import aiohttp

    from bot.platforms.generic.signing import sign_body

    signature = sign_body(settings.app_key, settings.signing_secret.get_secret_value(), body)
    headers = {"Authorization": signature, "Content-Type": "application/json"}
    with contextlib.suppress(Exception):
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
            ) as response,
        ):
            return response.status, (await response.text())[:500]
    return 0, f"could not reach {url}; is `uv run reshipbot serve` running?"


if __name__ == "__main__":
    sys.exit(main())
