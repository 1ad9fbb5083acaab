"""distil's counting rules, for the built-in constraints and for anyone's.

What a length is (DESIGN.md section 4) is a rule of distil itself, not of one plugin: a
third-party constraint that counts characters must count them exactly as `char_count` does.
So the rules live here, in the core, and a plugin author reaches them with `import distil`
(`distil.text.measure(...)`) without importing a built-in plugin.

- `units`: `measure(text, unit, count)` in code points after NFC, graphemes, X weighted
  length, words or tiktoken tokens, of the whole text or of its body (`count: "body"`);
- `lines`: what a line and a bullet marker are;
- `ranges`: inclusive ranges, `target ± tolerance` as whole bounds, the signed distance;
- `tokens`: loading tiktoken encodings, offline where possible.

twitter-text and tiktoken are imported inside the functions that need them, so importing this
package costs a few regular expressions.
"""

from distil.text.lines import bullet_marker, non_empty_lines, split_lines, strip_marker
from distil.text.ranges import Range, amount, tolerance_range
from distil.text.tokens import DEFAULT_ENCODING, check_encoding_name, require_encoding
from distil.text.units import (
    UNIT_NOUNS,
    CountMode,
    Unit,
    body_text,
    measure,
    nfc,
    unit_noun,
    words,
    x_weighted_length,
)

__all__ = [
    "DEFAULT_ENCODING",
    "UNIT_NOUNS",
    "CountMode",
    "Range",
    "Unit",
    "amount",
    "body_text",
    "bullet_marker",
    "check_encoding_name",
    "measure",
    "nfc",
    "non_empty_lines",
    "require_encoding",
    "split_lines",
    "strip_marker",
    "tolerance_range",
    "unit_noun",
    "words",
    "x_weighted_length",
]
