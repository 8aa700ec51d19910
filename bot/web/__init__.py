"""The thin aiohttp shell: verify, decode, dispatch, answer."""
