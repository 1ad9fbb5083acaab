"""Built-in constraint plugins.

One module per check. The rules they share are distil's own and live in the core, where
third-party constraints reach them too: `distil.text` (length units, what a line and a bullet
are, ranges and signed distance) and `distil.kinds.CountRange` (the count/min/max options).
The reference for users is docs/constraints.md.
"""

from distil.hookspecs import hookimpl


@hookimpl
def register_constraints(register):
    from distil_builtin.constraints.all_of import AllOf
    from distil_builtin.constraints.bullets import Bullets
    from distil_builtin.constraints.char_count import CharCount, XPost
    from distil_builtin.constraints.json_schema import JsonSchema
    from distil_builtin.constraints.line_count import LineCount
    from distil_builtin.constraints.pattern import Regex
    from distil_builtin.constraints.sentence_count import SentenceCount
    from distil_builtin.constraints.word_count import WordCount

    register("char_count", CharCount)
    register("x_post", XPost)
    register("line_count", LineCount)
    register("bullets", Bullets)
    register("word_count", WordCount)
    register("sentence_count", SentenceCount)
    register("regex", Regex)
    register("json_schema", JsonSchema)
    register("all_of", AllOf)
