"""The generic platform of SPEC §3: signed JSON webhooks in, a signed JSON API out."""
