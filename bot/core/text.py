"""What a person sees of a text: the measure for "at least N characters" rules."""

from __future__ import annotations

import unicodedata

# Not seen as characters of their own: controls, formats (zero-width spaces and joiners,
# direction marks), unassigned and private-use code points, separators, and combining
# marks (they belong to the letter before them, as Thai vowels and tone marks do).
_UNSEEN = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"})


def visible_length(text: str) -> int:
    """How many characters a reader sees in `text`, after Unicode normalisation (NFKC).

    Ten zero-width spaces count 0; `ไม่มีแก้ว` counts its 6 letters, not its 9 code points.
    """
    normalized = unicodedata.normalize("NFKC", text)
    return sum(1 for char in normalized if unicodedata.category(char) not in _UNSEEN)


def shorten(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with an ellipsis when longer (for quoting input)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
