"""What a PDF printed with the built-in fonts can show of a text (the training
certificate, the summary of a klien's export).

The built-in fonts know the Windows-1252 characters (Latin letters with their accents,
curly quotes, dashes): another letter is printed without its accent (ǎ as a, which the
certificate's name check does not tell apart), and one that has no plain form, rare in
an Indonesian name (ł), as ``?``.
"""

from __future__ import annotations

import unicodedata
from typing import Final

BUILT_IN_FONTS_ENCODING: Final = "windows-1252"
"""What a document printed with the built-in fonts sets as ``core_fonts_encoding``."""


def printable(text: str) -> str:
    """``text`` in the characters the built-in fonts can print."""
    shown = []
    for character in unicodedata.normalize("NFC", text):
        if _encodable(character):
            shown.append(character)
            continue
        simpler = "".join(
            c for c in unicodedata.normalize("NFKD", character) if not unicodedata.combining(c)
        )
        shown.append(simpler if simpler and _encodable(simpler) else "?")
    return "".join(shown)


def _encodable(text: str) -> bool:
    try:
        text.encode(BUILT_IN_FONTS_ENCODING)
    except UnicodeEncodeError:
        return False
    return True
