"""Training: one loop for a `Network`, a `NetworkBatch` of M same-shaped networks, and residual nets.

Today's verbs keep their names: `fit`, `accuracy`, `evaluate_loss`, `step_size_scan`, `FitResult`,
`StepSizeScan`, `loss_function`, `LOSSES`, `OPTIMIZERS`.
"""

from depthlab.train.batch import NetworkBatch
from depthlab.train.fit import (
    LOSSES,
    OPTIMIZERS,
    FitResult,
    StepSizeScan,
    accuracy,
    evaluate_loss,
    fit,
    loss_function,
    step_size_scan,
)

__all__ = [
    "LOSSES",
    "OPTIMIZERS",
    "FitResult",
    "NetworkBatch",
    "StepSizeScan",
    "accuracy",
    "evaluate_loss",
    "fit",
    "loss_function",
    "step_size_scan",
]
