"""depthlab: a lab for the science of depth in fully connected ReLU networks."""

from depthlab.network import Network

__all__ = ["Network", "__version__"]
__version__ = "0.1.0"
