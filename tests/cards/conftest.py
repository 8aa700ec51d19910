"""Fixtures of the card tests: a token signer and a renderer on the shipped catalogs."""

from __future__ import annotations

import pytest

from bot.core.tokens import TokenSigner
from cards.render import Renderer
from tests.cards.builders import POLICY

TOKEN_SECRET = "card-tests-secret"


@pytest.fixture(scope="session")
def signer() -> TokenSigner:
    return TokenSigner(TOKEN_SECRET)


@pytest.fixture(scope="session")
def renderer(signer: TokenSigner) -> Renderer:
    return Renderer(signer, POLICY)
