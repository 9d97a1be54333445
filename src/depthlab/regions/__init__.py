"""Linear regions of piecewise-linear networks: exact 1-D counts, exact 2-D partitions, bounds."""

from depthlab.regions.count_1d import Regions1D, count_regions_1d

__all__ = ["Regions1D", "count_regions_1d"]
