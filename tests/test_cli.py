"""The two commands a newcomer runs: `reshipbot serve` out of the box, and `send`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

from bot.runtime.config import load_settings
from tests.redis_server import free_port
from tests.timing import patience

ENTRY = Path(sys.executable).parent / "reshipbot"


def _env(**extra: str) -> dict[str, str]:
    """The environment of a fresh shell: no RESHIPBOT_* settings but the given ones."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RESHIPBOT_")}
    return {**clean, **extra}


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ENTRY), *args], env=_env(**env), capture_output=True, text=True, timeout=patience(60)
    )


def test_the_console_script_exists_and_prints_help() -> None:
    assert ENTRY.exists(), "the `reshipbot` console script is installed"
    answer = _run()
    assert answer.returncode == 0
    assert "serve" in answer.stdout and "send" in answer.stdout


def test_a_bad_setting_stops_start_up_naming_the_variable() -> None:
    answer = _run("serve", RESHIPBOT_PORT="eighty", RESHIPBOT_OFFER_WINDOW="1 day")
    assert answer.returncode == 2
    assert "RESHIPBOT_PORT" in answer.stderr and "RESHIPBOT_OFFER_WINDOW" in answer.stderr
    assert "Traceback" not in answer.stderr


def test_the_body_timeout_and_connection_caps_default_to_bounded() -> None:
    settings = load_settings({})
    assert settings.body_timeout == timedelta(seconds=2)
    assert (settings.max_connections, settings.max_connections_per_ip) == (1024, 128)


def test_the_body_timeout_and_connection_caps_are_settings() -> None:
    answer = _run(
        "serve",
        RESHIPBOT_BODY_TIMEOUT="2 seconds",
        RESHIPBOT_MAX_CONNECTIONS="0",
        RESHIPBOT_MAX_CONNECTIONS_PER_IP="many",
    )
    assert answer.returncode == 2
    for variable in (
        "RESHIPBOT_BODY_TIMEOUT",
        "RESHIPBOT_MAX_CONNECTIONS:",
        "RESHIPBOT_MAX_CONNECTIONS_PER_IP",
    ):
        assert variable in answer.stderr, variable
    assert "Traceback" not in answer.stderr


def test_the_metrics_token_is_a_secret_setting() -> None:
    assert load_settings({}).metrics_token is None
    custom = load_settings({"RESHIPBOT_METRICS_TOKEN": " m3trics-token-0123456789 "})
    assert custom.metrics_token is not None
    assert custom.metrics_token.get_secret_value() == "m3trics-token-0123456789"
    assert "m3trics" not in repr(custom)
    answer = _run("serve", RESHIPBOT_METRICS_TOKEN="two words-secret-value")
    assert answer.returncode == 2
    assert "RESHIPBOT_METRICS_TOKEN" in answer.stderr
    assert "words-secret-value" not in answer.stderr


def _get(url: str, token: str | None = None) -> dict[str, object]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=patience()) as answer:
        body: dict[str, object] = json.loads(answer.read())
        return body


def test_serve_runs_out_of_the_box_and_the_printed_example_works(tmp_path: Path) -> None:
    port = str(free_port())
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [str(ENTRY), "serve"],
        env=_env(RESHIPBOT_PORT=port),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + patience(60)
        while True:
            try:
                if _get(f"{base}/readyz")["ok"]:
                    break
            except OSError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.1)
        output = (tmp_path / "serve.log").read_text()
        assert f"console:   {base}/agent" in output
        assert "uv run reshipbot send demo" in output
        assert "embedded" in output and "sandbox" in output
        assert "RESHIPBOT_APP_SECRET is not set" in output  # dev secrets are warned about

        sent = _run("send", "demo", "--request", "RQ-DEMO", RESHIPBOT_PORT=port)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert "-> 200" in sent.stdout
        approve = _run(
            "send", "chat", "/approve", "--as", "seller:seller-demo", RESHIPBOT_PORT=port
        )
        assert approve.returncode == 0 and "-> 200" in approve.stdout

        token = "reshipbot-dev-agent-token"
        request = _get(f"{base}/api/requests/RQ-DEMO", token)
        assert request["status"] == "awaiting_shipment"
        assert request["decided_by"] == "seller"
        deadline = time.monotonic() + patience()
        while True:  # the sandbox platform got the seller's card and the buyer's texts
            state = _get(f"{base}/sandbox/_sandbox/state")
            paths = [call["path"] for call in state["calls"]]  # type: ignore[index, union-attr]
            if "/v1/replacement-orders" in paths:
                break
            assert time.monotonic() < deadline, paths
            time.sleep(0.1)
        assert "/v1/chat/messages" in paths
    finally:
        server.terminate()
        assert server.wait(timeout=patience()) == 0
        log.close()
