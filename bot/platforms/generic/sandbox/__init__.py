"""The sandbox platform: SPEC §3.2 answered in process, like the real one, with a record.

`sandbox_app(app_key, app_secret)` is an aiohttp application. Mount it under a prefix
of another app (`app.add_subapp("/sandbox", sandbox_app(...))`; `PLATFORM_URL` is then
`http://host:port/sandbox`) or serve it alone (`reshipbot sandbox --port 8090`).

Like the real platform it verifies signatures (401), validates bodies (400 when not a
JSON object, 422 when a field is wrong; `{"error": {"code", "message"}}`), and honours
`Idempotency-Key`: a key that already had its effect gets the first answer again
(status and body) and no second effect; the same key on a different call is a 422.
A second effect of one kind under another key (a second refund for a request) is a 409
naming the existing one, which the client counts as done.

Everything is recorded in a `SandboxState` (`app[SANDBOX_STATE]`) that tests and the
console read, with knobs that make the platform fail or slow down.
"""

from bot.platforms.generic.sandbox.app import SANDBOX_STATE, sandbox_app
from bot.platforms.generic.sandbox.state import SandboxCall, SandboxMessage, SandboxState

__all__ = ["SANDBOX_STATE", "SandboxCall", "SandboxMessage", "SandboxState", "sandbox_app"]
