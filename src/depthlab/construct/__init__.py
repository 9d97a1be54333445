"""Constructions: networks built by hand to compute a known function exactly."""

from depthlab.construct.compose import compose
from depthlab.construct.folding import zigzag_net
from depthlab.construct.maximal import folding_net, max_regions_net, shallow_max_regions_net

__all__ = ["compose", "folding_net", "max_regions_net", "shallow_max_regions_net", "zigzag_net"]
