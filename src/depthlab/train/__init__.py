"""Training: one loop for a `Network`, a `NetworkBatch` of M same-shaped networks, and residual nets.

`fit` trains one model, `fit_many` M of them together (the same loop; `fit` is its M = 1 case).
Today's verbs keep their names: `fit`, `accuracy`, `evaluate_loss`, `step_size_scan`, `FitResult`,
`StepSizeScan`, `loss_function`, `LOSSES`, `OPTIMIZERS`.
"""

from depthlab.models.batch import NetworkBatch
from depthlab.train.loop import FitResult, fit, fit_many
from depthlab.train.losses import LOSSES, loss_function
from depthlab.train.metrics import accuracy, evaluate_loss
from depthlab.train.mimic import mimic as mimic  # (Ba & Caruana 2014)
from depthlab.train.mimic import teacher_logits as teacher_logits
from depthlab.train.optim import OPTIMIZERS
from depthlab.train.replicates import epochs_to_fit, final_losses_by_width, loss_spread_by_width
from depthlab.train.scan import StepSizeScan, step_size_scan

__all__ = [
    "LOSSES",
    "OPTIMIZERS",
    "FitResult",
    "NetworkBatch",
    "StepSizeScan",
    "accuracy",
    "epochs_to_fit",
    "evaluate_loss",
    "final_losses_by_width",
    "loss_spread_by_width",
    "fit",
    "fit_many",
    "loss_function",
    "step_size_scan",
]
