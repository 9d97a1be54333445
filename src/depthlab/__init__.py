"""depthlab: a lab for the science of depth in fully connected ReLU networks."""

import sys

from depthlab.models import batch, network, residual, stack
from depthlab.models.network import Network

# The model family lives in `depthlab.models`; its modules keep their first public paths as aliases
# (`depthlab.network`, `depthlab.residual`, `depthlab.stack`, `depthlab.train.batch`).
for _old, _module in {"network": network, "residual": residual, "stack": stack, "train.batch": batch}.items():
    sys.modules.setdefault(f"depthlab.{_old}", _module)

__all__ = ["Network", "__version__"]
__version__ = "0.1.0"
