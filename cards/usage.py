"""The usage lines of the chat commands, in the reader's language.

The parser answers a known command with wrong arguments with its usage line
(`bot.core.chat_parser.USAGE`, in English), and the rules pass it on as the `usage`
parameter of "Usage: {usage}". Here that line is recognised and rebuilt from the
command's declared usage text (`bot.core.registry`), through the reader's catalog.
Command words and argument names (`/reject CODE COMMENT`, `#REQUEST_ID`) are what people
type, so they stay as they are in every language.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.declaration import REF_NOTE, REJECT_CODES
from bot.core.declaration import usage_line as declared_usage_line
from bot.core.registry import REGISTRY

__all__ = ["REF_NOTE", "REJECT_CODES", "USAGE_TEXTS", "translate_usage", "usage_line"]

# The declared usage texts (msgids); commands without one are "/word [#REQUEST_ID …]".
USAGE_TEXTS = {command.word: command.usage for command in REGISTRY if command.usage is not None}
_COMMAND_OF_USAGE = {command.usage_line(): command.word for command in REGISTRY}


def usage_line(command: str, gettext: Callable[[str], str]) -> str:
    """The usage of `command` (`/offer`), its words through `gettext`."""
    declared = REGISTRY.by_word(command)
    return declared_usage_line(command, declared.usage if declared else None, gettext)


def translate_usage(english: str, gettext: Callable[[str], str]) -> str:
    """The parser's English usage line in the reader's words; any other text as it is."""
    command = _COMMAND_OF_USAGE.get(english)
    return english if command is None else usage_line(command, gettext)
