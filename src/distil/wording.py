"""How distil words quantities for people: counted nouns and dollar amounts.

Every message, summary and report goes through these two, so "1 document" and "$0.0031" read
the same wherever they appear (and "1 documents" cannot come back in one place only).
"""

from __future__ import annotations

import math


def plural(n: object, word: str, many: str | None = None) -> str:
    """`n` and `word`, the noun in the plural unless `n` is exactly 1.

    `plural(1, "document")` is "1 document", `plural(3, "request")` "3 requests", and an
    irregular noun gives its plural: `plural(2, "entry", "entries")`. Integers get thousands
    separators ("1,204 documents"); anything else (a float, "?") is written as it is.
    """
    noun = word if n == 1 else (many or word + "s")
    number = f"{n:,}" if isinstance(n, int) and not isinstance(n, bool) else f"{n}"
    return f"{number} {noun}"


def money(dollars: float) -> str:
    """US dollars with the digits that matter: $0, $0.00042, $0.031, $0.50, $1,234.50.

    Amounts under ten cents keep two significant digits (a cheap run is not "$0.00"), never
    in exponent form; larger ones are shown to the cent.
    """
    if dollars == 0:
        return "$0"
    if not math.isfinite(dollars):
        return f"${dollars}"
    if abs(dollars) < 0.1:
        return f"${dollars:.{max(2, 1 - math.floor(math.log10(abs(dollars))))}f}"
    return f"${dollars:,.2f}"
