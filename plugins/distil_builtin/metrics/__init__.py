"""Built-in metric plugins."""

from distil.hookspecs import hookimpl


@hookimpl
def register_metrics(register):
    from distil_builtin.metrics.cost import Cost
    from distil_builtin.metrics.judge import Judge
    from distil_builtin.metrics.latency import Latency
    from distil_builtin.metrics.length_stats import LengthStats
    from distil_builtin.metrics.mid_sentence import MidSentence
    from distil_builtin.metrics.pass_rate import PassRate
    from distil_builtin.metrics.rouge import Rouge
    from distil_builtin.metrics.tokens import Tokens

    register("length_stats", LengthStats)
    register("pass_rate", PassRate)
    register("latency", Latency)
    register("tokens", Tokens)
    register("cost", Cost)
    register("rouge", Rouge)
    register("judge", Judge)
    register("mid_sentence", MidSentence)
