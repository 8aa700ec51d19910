"""The usage lines of the chat commands, in the reader's language.

The parser answers a known command with wrong arguments with its usage line
(`bot.chat_parser.USAGE`, in English), and the rules pass it on as the `usage`
parameter of "Usage: {usage}". Here that line is recognised and rebuilt from
translatable texts. Command words and argument names (`/reject CODE COMMENT`,
`#REQUEST_ID`) are what people type, so they stay as they are in every language.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.chat_parser import USAGE
from bot.core.messages import N_
from bot.core.models import RejectCode

REF_NOTE = N_("[#REQUEST_ID first if several requests]")

# Commands with arguments explain them; the others are "/word [#REQUEST_ID …]".
USAGE_TEXTS = {
    # TRANSLATORS: keep "/reject CODE COMMENT" and the codes ({codes}) as they are.
    "/reject": N_("/reject CODE COMMENT, CODE one of {codes} {ref_note}"),
    # TRANSLATORS: keep the commands; the example amounts may use the local decimal comma.
    "/offer": N_(
        "/offer AMOUNT or /offer N%, e.g. /offer 12.50 or /offer 40% "
        "(no thousand separators) {ref_note}"
    ),
    # TRANSLATORS: keep the commands and the example /ship "Kerry Express" TH123.
    "/ship": N_(
        "/ship for platform shipping, or /ship CARRIER TRACKING for seller shipping "
        '(quote a carrier with spaces: /ship "Kerry Express" TH123) {ref_note}'
    ),
}
_BARE = "{command} {ref_note}"
REJECT_CODES = ", ".join(code.value for code in RejectCode)
_COMMAND_OF_USAGE = {text: command for command, text in USAGE.items()}


def usage_line(command: str, gettext: Callable[[str], str]) -> str:
    """The usage of `command` (`/offer`), its words through `gettext`."""
    template = USAGE_TEXTS.get(command)
    text = gettext(template) if template is not None else _BARE
    values = {"command": command, "codes": REJECT_CODES, "ref_note": gettext(REF_NOTE)}
    try:
        return text.format_map(values)
    except (ValueError, IndexError, KeyError, AttributeError):
        return (template or _BARE).format_map(values)  # a broken translation: English


def translate_usage(english: str, gettext: Callable[[str], str]) -> str:
    """The parser's English usage line in the reader's words; any other text as it is."""
    command = _COMMAND_OF_USAGE.get(english)
    return english if command is None else usage_line(command, gettext)
