"""Every chat command is registered whole (bot/core/registry.py).

The tables the parser, /help, the cards and the rules read are derived from the
declarations; these tests hold them to it, so that a command declared in part — a typed
command the rules take that nothing declares, a word without usage or /help, a button no
command stands behind, a text missing from the catalogs — fails here.
"""

from __future__ import annotations

import re
from typing import get_args

import pytest
from babel.messages.pofile import read_po

from bot.core.availability import available_commands, card_actions
from bot.core.chat_parser import USAGE, UsageError, parse_command
from bot.core.commands import ActorCommand, CardAction, Help
from bot.core.declaration import (
    PEOPLE,
    REF_NOTE,
    ButtonStyle,
    ChatCommand,
    NoArgumentCommand,
    Registry,
)
from bot.core.models import Actor, Role, ShippingOption, Status
from bot.core.policy import Policy
from bot.core.registry import COMMAND_HELP, REGISTRY, ApproveCommand, RefundCommand
from bot.core.rules import command_word, decide
from cards.locales import LOCALES_DIR

from .builders import BUYER, MINUTE, POLICY, SELLER, T0, request_in

DECLARED = list(REGISTRY)
WITH_BUTTONS = [command for command in DECLARED if command.button is not None]
# SPEC §2.2: the card actions, and the form fields they carry.
SPEC_ACTIONS = {
    "approve": (),
    "reject": ("reason_code", "comment"),
    "offer_partial_refund": ("amount",),
    "refund_only": (),
    "arrange_shipment": ("carrier", "tracking_number"),
    "accept_offer": (),
    "decline_offer": (),
    "check_logistics": (),
    "cancel_request": (),
}
# Arguments that make each command that needs some parse (SPEC §2.1).
ARGUMENTS = {"/reject": "other The box was sealed.", "/offer": "40%", "/ship": "DHL JD0146"}


def word(command: ChatCommand) -> str:
    return command.word


def actor_for(command: ChatCommand) -> Actor:
    return SELLER if Role.seller in command.roles else BUYER


# --- the words -----------------------------------------------------------------------------


def test_words_are_unique_lower_case_and_each_has_usage_and_help() -> None:
    words = [command.word for command in DECLARED]
    assert len(set(words)) == len(words)
    assert all(re.fullmatch(r"/[a-z]+", w) for w in words), words
    assert list(USAGE) == words
    assert list(COMMAND_HELP) == words


@pytest.mark.parametrize("command", DECLARED, ids=word)
def test_each_command_has_a_usage_line_and_a_help_line_starting_with_its_word(
    command: ChatCommand,
) -> None:
    assert USAGE[command.word] == command.usage_line()
    assert USAGE[command.word].startswith(command.word + " ")
    assert "\n" not in USAGE[command.word]
    assert COMMAND_HELP[command.word] == command.help
    assert command.help.startswith(command.word)


@pytest.mark.parametrize("command", DECLARED, ids=word)
def test_every_chat_word_parses_to_its_command(command: ChatCommand) -> None:
    text = f"{command.word} {ARGUMENTS.get(command.word, '')}".strip()
    parsed = parse_command(text)
    assert type(parsed) is command.parsed
    assert parsed.name == command.word
    typed = parsed.to_command(actor_for(command))
    assert type(typed) is command.command_type
    assert REGISTRY.of(typed) is command
    assert command_word(typed) == command.word


@pytest.mark.parametrize("command", DECLARED, ids=word)
def test_wrong_arguments_get_the_commands_own_usage(command: ChatCommand) -> None:
    wrong = parse_command(f"{command.word} #")
    assert wrong == UsageError(command.word, USAGE[command.word])
    if command.word not in ARGUMENTS:
        assert issubclass(command.parsed, NoArgumentCommand), "arguments need an example"


def test_every_typed_command_a_person_sends_is_declared_once() -> None:
    people_send = {kind for kind in get_args(ActorCommand) if kind is not CardAction}
    declared = [command.command_type for command in DECLARED]
    assert len(set(declared)) == len(declared)
    assert set(declared) == people_send


# --- who, when, and the rules' dispatch ------------------------------------------------------


@pytest.mark.parametrize("command", DECLARED, ids=word)
def test_who_and_when_are_declared(command: ChatCommand) -> None:
    assert command.roles
    assert command.statuses
    if command.needs_request:
        assert command.roles <= PEOPLE, "only buyers and sellers act on a request"
    assert set(command.refused_in).isdisjoint(command.statuses)


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("command", DECLARED, ids=word)
def test_the_rules_dispatch_every_declared_command(command: ChatCommand, status: Status) -> None:
    """Each typed command reaches its rule in every status; what /help omits is refused."""
    flow = request_in(status)
    actor = actor_for(command)
    form = dict.fromkeys(command.button.form if command.button else (), "")
    outcome = flow.decide(command.parsed.from_form(form).to_command(actor), after=MINUTE)
    if command.word not in available_commands(flow.request, actor.role, POLICY):
        assert outcome.refusal is not None


def test_help_is_answered_without_a_request() -> None:
    outcome = decide(None, Help(BUYER), T0, POLICY)
    assert outcome.refusal is None
    assert available_commands(None, Role.buyer, POLICY) == ("/help",)


# --- the card buttons ------------------------------------------------------------------------


def test_the_card_actions_are_the_specs_each_declared_once() -> None:
    buttons = [command.button for command in WITH_BUTTONS if command.button is not None]
    assert {button.action: button.form for button in buttons} == SPEC_ACTIONS
    assert len(buttons) == len(SPEC_ACTIONS)


@pytest.mark.parametrize("command", WITH_BUTTONS, ids=word)
def test_every_card_action_maps_to_its_registered_command(command: ChatCommand) -> None:
    button = command.button
    assert button is not None
    assert REGISTRY.by_action(button.action) is command
    assert button.label and isinstance(button.style, ButtonStyle)
    click = CardAction(actor_for(command), "R1.request.seller", 1, button.action, {})
    typed = command.from_card(click)
    assert REGISTRY.of(typed) is command
    assert command_word(click) == button.action


@pytest.mark.parametrize("via_offer", [False, True])
@pytest.mark.parametrize("option", list(ShippingOption))
@pytest.mark.parametrize("status", list(Status))
def test_every_button_a_card_shows_is_a_declared_command_for_its_reader(
    status: Status, option: ShippingOption, via_offer: bool
) -> None:
    if via_offer and status is Status.offer_pending:
        return
    policy = Policy(max_partial_offers=2) if via_offer else POLICY
    flow = request_in(status, shipping_option=option, via_offer=via_offer, policy=policy)
    for card in flow.request.cards:
        for action in card_actions(flow.request, card, policy):
            command = REGISTRY.by_action(action)
            assert command is not None and command.button is not None
            assert command.button.card is card.kind
            assert Role(card.audience.value) in command.roles
            assert command.word in available_commands(
                flow.request, Role(card.audience.value), policy
            )


# --- the texts are in the catalogs -----------------------------------------------------------


def test_every_declared_text_is_in_the_catalog() -> None:
    with (LOCALES_DIR / "messages.pot").open("rb") as file:
        msgids = {message.id for message in read_po(file) if message.id}
    declared = {REF_NOTE}
    for command in DECLARED:
        declared.add(command.help)
        if command.usage is not None:
            declared.add(command.usage)
        if command.button is not None:
            declared.add(command.button.label)
    assert declared - msgids == set()


# --- the registry itself ---------------------------------------------------------------------


def test_a_word_a_typed_command_or_an_action_declared_twice_is_refused() -> None:
    registry = Registry()

    def rule(*_: object) -> None:
        return None

    registry.declare(ApproveCommand, roles=PEOPLE, help="/approve — x")(rule)
    with pytest.raises(ValueError, match="/approve"):
        registry.declare(ApproveCommand, roles=PEOPLE, help="/approve — y")(rule)
    registry.declare(RefundCommand, roles=PEOPLE, help="/refund — x")(rule)
    assert [command.word for command in registry] == ["/approve", "/refund"]
