"""Linear regions of piecewise-linear networks: exact 1-D counts, exact 2-D partitions, bounds."""

from depthlab.regions.bounds import mlp_params, montufar, serra, udl_max_regions, zaslavsky
from depthlab.regions.count_1d import Regions1D, count_regions_1d
from depthlab.regions.distance import distance_to_boundary
from depthlab.regions.partition_2d import Partition2D, Plane, partition_2d
from depthlab.regions.sampling import (
    bisect_pattern_changes_1d,
    estimate_regions_1d_sampled,
    estimate_regions_2d_sampled,
)
from depthlab.regions.slices import square_slice

__all__ = [
    "Partition2D",
    "Plane",
    "Regions1D",
    "bisect_pattern_changes_1d",
    "count_regions_1d",
    "distance_to_boundary",
    "estimate_regions_1d_sampled",
    "estimate_regions_2d_sampled",
    "mlp_params",
    "montufar",
    "partition_2d",
    "serra",
    "square_slice",
    "udl_max_regions",
    "zaslavsky",
]
