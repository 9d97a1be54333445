"""The contracts experiments are written against, and that the harness reads.

`Experiment` (a registered claim with its config keys), `Key` and the shared keys (`keys`), the config
rules (`rules`), and what a run returns (`Result`, `Reference`, `VERDICTS`). The experiments
(`depthlab.experiments`) and the harness (`depthlab.lab`) both import this floor; it imports only the library.
"""

from depthlab.contracts import keys, rules
from depthlab.contracts.experiment import COMMON_KEYS, Experiment, Groups, Key, cell_groups
from depthlab.contracts.result import (
    VERDICTS,
    Reference,
    Result,
    verdict_close,
    verdict_holds,
    verdict_label,
    warn,
)

__all__ = ["COMMON_KEYS", "VERDICTS", "Experiment", "Groups", "Key", "Reference", "Result", "keys", "rules",
           "cell_groups", "verdict_close", "verdict_holds", "verdict_label", "warn"]
