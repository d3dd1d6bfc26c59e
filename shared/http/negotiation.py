"""Which representation an ``Accept`` header prefers, for the paths that offer two (the
figures as JSON or CSV, a certificate's verification as JSON or a page).

Each offered media type gets the ``q`` of the most specific range that matches it
(``text/csv`` before ``text/*`` before ``*/*``); a malformed ``q`` counts as no
preference for that range, and ``q`` is held between 0 and 1.
"""

from __future__ import annotations


def quality(accept: str, offered: str) -> float:
    """The ``q`` the Accept header gives to ``offered``; 0 when no range matches it."""
    best: tuple[int, float] = (-1, 0.0)
    kind = offered.split("/")[0]
    for part in accept.split(","):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        media = media.lower()
        specificity = (
            2 if media == offered else 1 if media == f"{kind}/*" else 0 if media == "*/*" else -1
        )
        if specificity < 0 or specificity < best[0]:
            continue
        q = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                q = _bounded(value)
        if specificity > best[0] or q > best[1]:
            best = (specificity, q)
    return best[1]


def _bounded(value: str) -> float:
    try:
        q = float(value)
    except ValueError:
        return 0.0
    return min(max(q, 0.0), 1.0) if q == q else 0.0  # NaN is no preference
