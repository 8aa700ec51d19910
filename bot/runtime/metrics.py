"""Prometheus metrics, one registry per app (so tests can run several apps at once)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.events = Counter(
            "reshipbot_webhook_events",
            "Webhook events by type and outcome",
            ["type", "outcome"],
            registry=self.registry,
        )
        self.transitions = Counter(
            "reshipbot_transitions",
            "Committed status changes by new status",
            ["status"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "reshipbot_refusals",
            "Refused commands by reason code",
            ["code"],
            registry=self.registry,
        )
        self.outbox_attempts = Counter(
            "reshipbot_outbox_attempts",
            "Platform calls by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "reshipbot_outbox_dead_letters",
            "Effects the platform refused for good",
            registry=self.registry,
        )
        self.timers_fired = Counter(
            "reshipbot_timers_fired",
            "Timers fired by kind and result",
            ["kind", "result"],
            registry=self.registry,
        )
        self.connections_refused = Counter(
            "reshipbot_connections_refused",
            "Connections closed on arrival: over the cap per client or in total",
            ["limit"],
            registry=self.registry,
        )
        self.webhook_latency = Histogram(
            "reshipbot_webhook_seconds",
            "Time to answer a webhook",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )

    # the dispatcher's observer
    def transition(self, status: str) -> None:
        self.transitions.labels(status).inc()

    def refusal(self, code: str) -> None:
        self.refusals.labels(code).inc()

    # the outbox worker's observer
    def attempt(self, outcome: str) -> None:
        self.outbox_attempts.labels(outcome).inc()

    def dead(self) -> None:
        self.dead_letters.inc()

    # the scheduler's observer
    def fired(self, kind: str, result: str) -> None:
        self.timers_fired.labels(kind, result).inc()

    # the listener's observer
    def connection_refused(self, limit: str) -> None:
        self.connections_refused.labels(limit).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
