"""The model family: every network depthlab builds, measures and trains.

- `network`: `Network`, one fully connected net in the lecture's beta/Omega notation.
- `batch`: `NetworkBatch`, M same-shaped networks as stacked tensors (what `fit_many` trains).
- `residual`: `ResidualNetwork` and `ResidualBatch`, residual MLPs one or M at a time, and `ResidualMLP`.
- `stack`: `StackedNetwork`, a fast runner for very deep narrow nets.
- `shapes`: the shape facts (widths, depth, dims, parameter count, dtype), written once for one model and
  for a batch of M.
- `protocol`: what the training loop needs of a model (`Model.stack`) and of a batch (`Batch`).

The first public paths (`depthlab.network`, `depthlab.residual`, `depthlab.stack`, `depthlab.train.batch`)
are aliases of these modules.
"""

from depthlab.models.protocol import Batch, Model, as_batch
from depthlab.models.shapes import MLPShapes, ResidualShapes

__all__ = ["Batch", "MLPShapes", "Model", "ResidualShapes", "as_batch"]
