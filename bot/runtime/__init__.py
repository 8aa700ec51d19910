"""The imperative shell: dispatcher, outbox worker, scheduler, wiring and settings."""
