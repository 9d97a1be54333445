"""The model family: what `fit`, `fit_many` and the measuring verbs take.

- `shapes`: the shape facts (widths, depth, dims, parameter count, dtype), written once for a single
  model and for a batch of M stacked ones.
- `protocol`: what the training loop needs of a model (`Model.stack`) and of a batch (`Batch`).
"""

from depthlab.models.protocol import Batch, Model, as_batch
from depthlab.models.shapes import MLPShapes, ResidualShapes

__all__ = ["Batch", "MLPShapes", "Model", "ResidualShapes", "as_batch"]
