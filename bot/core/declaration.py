"""How a chat command and its card button are declared, and the registry that holds them.

A command is declared once, in `bot.core.registry`: its parsed class (the word people
type, how its arguments are read, the typed command it becomes) and its rule, with who
may send it, when it is offered, its usage and /help texts and its card button:

    class ApproveCommand(NoArgumentCommand, word="/approve", command_type=Approve):
        \"\"\"`/approve [#REQUEST_ID]`.\"\"\"

    @REGISTRY.declare(ApproveCommand, roles=SELLER, statuses=AWAITING_SELLER, help=…,
                      button=CardButton(action="approve", card=CardKind.request, …))
    def _approve(request, command: Approve, now, policy) -> RuleResult: …

Every table about commands is derived from the `Registry`: the parser's words and usage
lines, /help, which commands and buttons a person is offered, card action → command,
and the rules' dispatch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Self, TypeAlias, TypeVar, cast

from bot.core.chat_syntax import tokens
from bot.core.commands import ActorCommand, CardAction
from bot.core.messages import N_
from bot.core.models import (
    Actor,
    CardKind,
    CardState,
    CardStatus,
    RejectCode,
    ReshipmentRequest,
    Role,
    Status,
)
from bot.core.outcome import Outcome, Refusal
from bot.core.policy import Policy
from bot.core.transitions import Change

ANYONE = frozenset(Role)
PEOPLE = frozenset({Role.buyer, Role.seller})
SELLER = frozenset({Role.seller})
BUYER = frozenset({Role.buyer})
ANY_STATUS = frozenset(Status)


# --- what a person typed -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ParsedCommand:
    """A command as typed, read: one subclass per command, naming its word and the typed
    command it becomes in the class statement (`word="/approve", command_type=Approve`).

    `request_ref` is the optional first argument `#REQUEST_ID`.
    """

    name: ClassVar[str]
    command_type: ClassVar[type[ActorCommand]]
    request_ref: str | None = None

    def __init_subclass__(
        cls,
        *,
        word: str | None = None,
        command_type: type[ActorCommand] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if word is not None:
            cls.name = word
        if command_type is not None:
            cls.command_type = command_type

    @classmethod
    def parse(cls, ref: str | None, rest: str) -> Self | None:
        """The arguments after the word and `#REQUEST_ID`; None when they are wrong."""
        raise NotImplementedError

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Self:
        """The same arguments from a card's form (every declared field present)."""
        raise NotImplementedError

    def to_command(self, actor: Actor) -> ActorCommand:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class NoArgumentCommand(ParsedCommand):
    """A command whose only argument is the optional `#REQUEST_ID`."""

    @classmethod
    def parse(cls, ref: str | None, rest: str) -> Self | None:
        return cls(request_ref=ref) if tokens(rest) == [] else None

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Self:
        return cls()

    def to_command(self, actor: Actor) -> ActorCommand:
        make = cast(Callable[[Actor], ActorCommand], self.command_type)
        return make(actor)


# --- usage lines -------------------------------------------------------------------------

REF_NOTE = N_("[#REQUEST_ID first if several requests]")
REJECT_CODES = ", ".join(code.value for code in RejectCode)
BARE_USAGE = "{command} {ref_note}"


def usage_line(word: str, usage: str | None, gettext: Callable[[str], str] = str) -> str:
    """The usage of `word` (its declared `usage`, or the bare word), its words through
    `gettext`; with the default, in English, as the parser answers it."""
    template = usage if usage is not None else BARE_USAGE
    text = gettext(usage) if usage is not None else BARE_USAGE
    values = {"command": word, "codes": REJECT_CODES, "ref_note": gettext(REF_NOTE)}
    try:
        return text.format_map(values)
    except (ValueError, IndexError, KeyError, AttributeError):
        return template.format_map(values)  # a broken translation: English


# --- the declaration ---------------------------------------------------------------------


class ButtonStyle(StrEnum):
    primary = "primary"
    secondary = "secondary"
    danger = "danger"


@dataclass(frozen=True)
class CardButton:
    """The card button that does what a chat command does (SPEC §2.2).

    `label` is an English text marked with `N_` (the cards translate it); `form` names the
    fields the click carries, read by the command's `ParsedCommand.from_form`; `reply_as`
    is what the card's plain text tells a reader to type instead (default: the word).
    """

    action: str
    card: CardKind
    label: str
    style: ButtonStyle
    form: tuple[str, ...] = ()
    reply_as: Callable[[ReshipmentRequest], str] | str | None = None


RuleResult: TypeAlias = Change | Refusal | Outcome
"""What a rule answers: a change to commit, a refusal (T14), or an outcome as it is."""
Rule: TypeAlias = Callable[[Any, Any, datetime, Policy], RuleResult]
Offered: TypeAlias = Callable[[ReshipmentRequest, Policy], bool]


def always(request: ReshipmentRequest, policy: Policy) -> bool:
    return True


@dataclass(frozen=True, eq=False)
class ChatCommand:
    """One chat command, as declared with `Registry.declare` (see there)."""

    parsed: type[ParsedCommand]
    rule: Rule
    roles: frozenset[Role]
    help: str
    statuses: frozenset[Status] = ANY_STATUS
    offered_if: Offered = always
    refused_in: Mapping[Status, str] = field(default_factory=dict)
    needs_request: bool = True
    usage: str | None = None
    button: CardButton | None = None

    @property
    def word(self) -> str:
        return self.parsed.name

    @property
    def command_type(self) -> type[ActorCommand]:
        return self.parsed.command_type

    def offered(self, request: ReshipmentRequest | None, policy: Policy) -> bool:
        """Whether it is offered now (listed by /help, its button shown)."""
        if request is None:
            return not self.needs_request
        return request.status in self.statuses and self.offered_if(request, policy)

    def usage_line(self, gettext: Callable[[str], str] = str) -> str:
        return usage_line(self.word, self.usage, gettext)

    def from_card(self, click: CardAction) -> ActorCommand:
        """The typed command a click on this command's button stands for."""
        fields = self.button.form if self.button is not None else ()
        form = {name: click.form.get(name, "") for name in fields}
        return self.parsed.from_form(form).to_command(click.actor)

    def reply_for(self, request: ReshipmentRequest) -> str:
        """What to type in chat instead of clicking the button, for `request`."""
        reply = self.button.reply_as if self.button is not None else None
        if reply is None:
            return self.word
        return reply if isinstance(reply, str) else reply(request)


RuleT = TypeVar("RuleT", bound=Rule)


class Registry:
    """The chat commands in the order /help lists them, and every table derived from them."""

    def __init__(self) -> None:
        self._commands: list[ChatCommand] = []
        self._by_word: dict[str, ChatCommand] = {}
        self._by_type: dict[type[Any], ChatCommand] = {}
        self._by_action: dict[str, ChatCommand] = {}

    def declare(
        self,
        parsed: type[ParsedCommand],
        *,
        roles: frozenset[Role],
        help: str,
        statuses: frozenset[Status] = ANY_STATUS,
        offered_if: Offered = always,
        refused_in: Mapping[Status, str] | None = None,
        needs_request: bool = True,
        usage: str | None = None,
        button: CardButton | None = None,
    ) -> Callable[[RuleT], RuleT]:
        """Declare the decorated function as the rule of the command `parsed` reads.

        `roles` may send it; `statuses` are those it may be sent in (elsewhere it is
        refused `not_now`, `request_closed`, or the code `refused_in` names for that
        status) and, narrowed by `offered_if`, those it is offered in. `help` and `usage`
        are English texts marked with `N_` (`usage` may use `{codes}` and `{ref_note}`;
        without it, the usage is the bare word). A command that does not
        `needs_request` is answered before any check, to anyone (/help).
        """

        def register(rule: RuleT) -> RuleT:
            declared = ChatCommand(
                parsed=parsed,
                rule=rule,
                roles=roles,
                help=help,
                statuses=statuses,
                offered_if=offered_if,
                refused_in=dict(refused_in or {}),
                needs_request=needs_request,
                usage=usage,
                button=button,
            )
            self.add(declared)
            return rule

        return register

    def add(self, command: ChatCommand) -> None:
        """Register one command; a word, typed command or button action used twice fails."""
        action = command.button.action if command.button is not None else None
        if (
            command.word in self._by_word
            or command.command_type in self._by_type
            or action in self._by_action
        ):
            raise ValueError(f"{command.word} is declared twice (word, command or action)")
        self._commands.append(command)
        self._by_word[command.word] = command
        self._by_type[command.command_type] = command
        if action is not None:
            self._by_action[action] = command

    def __iter__(self) -> Iterator[ChatCommand]:
        return iter(self._commands)

    def by_word(self, word: str) -> ChatCommand | None:
        return self._by_word.get(word)

    def of(self, command: object) -> ChatCommand | None:
        """The declaration of a typed command (`Approve(…)`), if it is a chat command's."""
        return self._by_type.get(type(command))

    def by_action(self, action: str) -> ChatCommand | None:
        return self._by_action.get(action)

    def available(
        self, request: ReshipmentRequest | None, role: Role, policy: Policy
    ) -> tuple[str, ...]:
        """The words `role` can use now on `request` (for /help)."""
        return tuple(c.word for c in self if role in c.roles and c.offered(request, policy))

    def card_actions(
        self, request: ReshipmentRequest, card: CardState, policy: Policy
    ) -> tuple[str, ...]:
        """Action ids the card offers at the request's current state."""
        if card.status is not CardStatus.open:
            return ()
        return tuple(
            command.button.action
            for command in self
            if command.button is not None
            and command.button.card is card.kind
            and command.offered(request, policy)
        )
