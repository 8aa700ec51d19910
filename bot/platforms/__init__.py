"""One folder per marketplace: its inbound and outbound halves and its stand-in."""
