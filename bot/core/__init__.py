"""The pure rules and their data: no I/O, no clock reads, no web, storage or platform."""
