"""Constructions: networks built by hand to compute a known function exactly."""

from depthlab.construct.compose import compose

__all__ = ["compose"]
