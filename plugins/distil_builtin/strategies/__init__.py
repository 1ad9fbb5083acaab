"""Built-in strategy plugins."""

from distil.hookspecs import hookimpl


@hookimpl
def register_strategies(register):
    from distil_builtin.strategies.best_of_n import BestOfN
    from distil_builtin.strategies.countdown import Countdown
    from distil_builtin.strategies.guided import Guided
    from distil_builtin.strategies.refine import Refine
    from distil_builtin.strategies.single import Single

    register("single", Single)
    register("refine", Refine)
    register("best_of_n", BestOfN)
    register("guided", Guided)
    register("countdown", Countdown)
