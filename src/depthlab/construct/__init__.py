"""Constructions: networks built by hand to compute a known function exactly."""

from depthlab.construct.bitextract import (
    FewParamsMemorization,
    bit_reader,
    counting_lower_bound,
    memorize_few_params,
)
from depthlab.construct.compose import compose
from depthlab.construct.folding import zigzag_net
from depthlab.construct.maximal import folding_net, max_regions_net, shallow_max_regions_net
from depthlab.construct.memorize import Encoding, Memorization, encode_1d, interpolate_1d, memorize
from depthlab.construct.narrow import NarrowMemorization, memorize_narrow, memorize_width2, memorize_width3
from depthlab.construct.products import multiply2_net, product_tree_net, shallow_product_net, square_net
from depthlab.construct.reshape import min_width, shallow_to_deep
from depthlab.construct.sawtooth import sawtooth, shallow_sawtooth, tent_map_net
from depthlab.construct.truncate import keep_most_useful_units

__all__ = [
    "Encoding",
    "FewParamsMemorization",
    "Memorization",
    "NarrowMemorization",
    "bit_reader",
    "compose",
    "counting_lower_bound",
    "encode_1d",
    "folding_net",
    "interpolate_1d",
    "keep_most_useful_units",
    "max_regions_net",
    "memorize",
    "memorize_few_params",
    "memorize_narrow",
    "memorize_width2",
    "memorize_width3",
    "min_width",
    "multiply2_net",
    "product_tree_net",
    "sawtooth",
    "shallow_max_regions_net",
    "shallow_product_net",
    "shallow_sawtooth",
    "shallow_to_deep",
    "square_net",
    "tent_map_net",
    "zigzag_net",
]
