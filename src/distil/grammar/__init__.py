"""Constraints compiled to a grammar, for decoders that take one (llama.cpp's GBNF).

- `pieces`: what `Constraint.grammar()` returns (`Lines`, `Length`, `Whole`) or raises
  (`NotCompilable`);
- `compile`: `compile_constraints(constraints)` combines a set's pieces into one grammar and
  says which constraints do not compile and why;
- `ir`: the grammar as values and its GBNF text; `layout`: lines and lengths as rules;
  `regex_subset`: a regex in the supported subset as rules; `match`: matching and sampling over
  the IR, for tests.

Nothing here imports llama_cpp; `json_schema` asks llama-cpp-python for its converter lazily.
"""

from distil.grammar.compile import Compiled, compile_constraints
from distil.grammar.pieces import GrammarPiece, Length, Lines, NotCompilable, Whole

__all__ = ["Compiled", "GrammarPiece", "Length", "Lines", "NotCompilable", "Whole",
           "compile_constraints"]
