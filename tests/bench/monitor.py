"""Counting the Redis commands a batch of work costs, by who sent them.

`INFO commandstats` counts every command, including those a Lua script runs; `MONITOR`
names the sender of each one (`[0 127.0.0.1:53424] "evalsha" …` from a client,
`[0 lua] "hset" …` from inside a script), so together they say how many commands the
client sent and how much work each one did. `total_reads_processed` (INFO stats) counts
the reads Redis did on client sockets: a pipeline is one read, so it is the round trips.

    with Tally(redis_url) as tally:   # MONITOR on its own connection
        ... the work ...
    tally.client_commands, tally.script_commands, tally.commandstats, tally.reads

Only for a private redis-server: MONITOR slows a busy server down.
"""

from __future__ import annotations

import re
import socket
import threading
import uuid
from collections import Counter
from types import TracebackType
from typing import Any
from urllib.parse import urlparse

import redis

LINE = re.compile(rb'^\+\d+\.\d+ \[\d+ ([^\]]+)\] "([^"]*)"')
CONTROL = {"info", "echo"}  # what the tally itself sends between its two snapshots
CONTROL_READS = 2  # the ECHO that ends the capture and the INFO after it


class Tally:
    def __init__(self, redis_url: str) -> None:
        parsed = urlparse(redis_url)
        self._address = (parsed.hostname or "127.0.0.1", parsed.port or 6379)
        self._control = redis.Redis.from_url(redis_url)
        self._own = str(self._control.client_info()["addr"])  # this connection's address
        self._sentinel = f"bench-tally-{uuid.uuid4().hex}"
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._before: dict[str, Any] = {}
        self.client_commands: Counter[str] = Counter()  # sent by clients other than us
        self.script_commands: Counter[str] = Counter()  # run inside Lua scripts
        self.clients: set[str] = set()
        self.commandstats: Counter[str] = Counter()  # INFO commandstats delta, all callers
        self.reads = 0  # read events on client sockets, ours taken out

    def __enter__(self) -> Tally:
        self._socket = socket.create_connection(self._address)
        self._socket.sendall(b"MONITOR\r\n")
        stream = self._socket.makefile("rb")
        if stream.readline().strip() != b"+OK":
            raise RuntimeError("MONITOR was refused")
        self._thread = threading.Thread(target=self._listen, args=(stream,), daemon=True)
        self._thread.start()
        self._before = self._control.info("all")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._control.echo(self._sentinel)
        assert self._thread is not None and self._socket is not None
        self._thread.join(timeout=30)
        after = self._control.info("all")
        self._socket.close()
        self._control.close()
        if self._thread.is_alive():
            raise RuntimeError("MONITOR never showed the end of the capture")
        self.commandstats = _calls(after) - _calls(self._before)
        for name in CONTROL:
            self.commandstats.pop(name, None)
        reads = after.get("total_reads_processed", 0) - self._before.get("total_reads_processed", 0)
        self.reads = reads - CONTROL_READS

    def _listen(self, stream: Any) -> None:
        for raw in stream:
            match = LINE.match(raw)
            if match is None:
                continue
            client, command = match.group(1).decode(), match.group(2).decode().lower()
            if client == self._own:
                if self._sentinel.encode() in raw:
                    return
                continue
            if client == "lua":
                self.script_commands[command] += 1
            else:
                self.client_commands[command] += 1
                self.clients.add(client)

    @property
    def sent(self) -> int:
        """Commands sent by clients (a pipeline of n commands counts n)."""
        return sum(self.client_commands.values())

    @property
    def total(self) -> int:
        """Every command Redis executed for them, those inside scripts included."""
        return sum(self.commandstats.values())

    @property
    def script_calls(self) -> int:
        """EVALSHA/EVAL calls by commandstats: the cross-check of MONITOR's count."""
        names = ("evalsha", "evalsha_ro", "eval", "eval_ro", "fcall", "fcall_ro")
        return sum(self.commandstats.get(name, 0) for name in names)

    @property
    def script_calls_seen(self) -> int:
        names = ("evalsha", "evalsha_ro", "eval", "eval_ro", "fcall", "fcall_ro")
        return sum(self.client_commands.get(name, 0) for name in names)


def _calls(info: dict[str, Any]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for key, value in info.items():
        if key.startswith("cmdstat_") and isinstance(value, dict):
            counts[key.removeprefix("cmdstat_").replace("|", " ")] = int(value["calls"])
    return counts


def breakdown(counts: Counter[str], per: int) -> str:
    """`evalsha 2, hset 1, zadd 0.5` per event, most frequent first."""
    return ", ".join(f"{name} {count / per:.3g}" for name, count in counts.most_common())
