"""Weight initialization schemes for `Network.random`.

Every scheme draws from an explicit `torch.Generator`; nothing touches global random state.

Schemes (fan_in = input width of the layer, fan_out = its output width):
- ``"he_normal"``: Omega ~ N(0, 2 / fan_in), beta = 0.
- ``"he_uniform"``: Omega ~ U(-sqrt(6 / fan_in), sqrt(6 / fan_in)), beta = 0 (variance 2 / fan_in).
- ``"lecun"``: Omega ~ N(0, 1 / fan_in), beta = 0.
- ``"glorot"``: Omega ~ N(0, 2 / (fan_in + fan_out)), beta = 0.
- ``"trunc_normal"``: normal with parameter std sqrt(2 / fan_in) truncated at +-2 std, beta = 0.
  Its real variance is only about 0.774 x 2 / fan_in: the lecture's "watch out for truncated
  normals" (see `trunc_normal_variance_factor`).
- ``("normal", sigma_w, sigma_b)``: Omega ~ N(0, sigma_w^2 / fan_in), beta ~ N(0, sigma_b^2)
  (the convention of Poole et al. 2016).
"""

from __future__ import annotations

import math
from typing import Union

import torch
from scipy.stats import truncnorm

from depthlab.checks import InputError

InitSpec = Union[str, tuple]
INITS: tuple[str, ...] = ("he_normal", "he_uniform", "lecun", "glorot", "trunc_normal")


def check_init(init: InitSpec) -> InitSpec:
    """Return `init` if it names a known scheme, else raise a one-line ValueError."""
    if isinstance(init, str) and init in INITS:
        return init
    if (
        isinstance(init, tuple)
        and len(init) == 3
        and init[0] == "normal"
        and all(isinstance(v, (int, float)) and v >= 0 for v in init[1:])
    ):
        return init
    raise InputError(
        f"The 'init' parameter must be one of {', '.join(INITS)} or "
        f"('normal', sigma_w, sigma_b) with sigma_w, sigma_b >= 0. Got {init!r} instead."
    )


def trunc_normal_variance_factor(bound: float = 2.0) -> float:
    """Variance of a standard normal truncated to [-bound, bound] (0.774 for bound 2)."""
    return float(truncnorm.var(-bound, bound))


def init_layer(
    init: InitSpec, fan_in: int, fan_out: int, generator: torch.Generator, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw one layer's (Omega, beta): Omega (fan_out, fan_in), beta (fan_out,)."""
    check_init(init)
    shape = (fan_out, fan_in)
    beta = torch.zeros(fan_out, dtype=dtype)
    if isinstance(init, tuple):
        _, sigma_w, sigma_b = init
        omega = torch.randn(shape, generator=generator, dtype=dtype) * (sigma_w / math.sqrt(fan_in))
        beta = torch.randn(fan_out, generator=generator, dtype=dtype) * sigma_b
        return omega, beta
    if init == "he_uniform":
        bound = math.sqrt(6.0 / fan_in)
        omega = (torch.rand(shape, generator=generator, dtype=dtype) * 2 - 1) * bound
        return omega, beta
    if init == "trunc_normal":
        omega = torch.empty(shape, dtype=dtype)
        std = math.sqrt(2.0 / fan_in)
        torch.nn.init.trunc_normal_(omega, 0.0, std, -2 * std, 2 * std, generator=generator)
        return omega, beta
    variance = {"he_normal": 2.0 / fan_in, "lecun": 1.0 / fan_in, "glorot": 2.0 / (fan_in + fan_out)}
    omega = torch.randn(shape, generator=generator, dtype=dtype) * math.sqrt(variance[init])
    return omega, beta
