"""A hand-written forward and backward for M stacked MLPs in the transposed (M, W, N) layout.

For small networks the time of a training step goes to autograd's bookkeeping and to many small
kernels, not to arithmetic. Here each layer is one batched product (one plain matrix product when the
input is shared: Omega_0 of all models stacked as (M * D_1, D_i) times x^T), activations are applied in
place, the loss gradient is written in closed form, and the backward reuses the saved activations:

    forward   z_{k+1} = Omega_k h_k + beta_k            (M, D_{k+1}, N)
              h_{k+1} = a[z_{k+1}]                      in place
    backward  dOmega_k = delta_{k+1} h_k^T              (M, D_{k+1}, D_k)
              dbeta_k  = sum_n delta_{k+1}              (M, D_{k+1})
              delta_k  = (Omega_k^T delta_{k+1}) * a'(z_k)

Tested against autograd (tests/test_train_fused.py). Applies to ReLU, leaky ReLU and identity MLPs.
"""

from __future__ import annotations

import torch

from depthlab.train.losses import per_model_correct

MANUAL_ACTIVATIONS: tuple[str, ...] = ("relu", "leaky_relu", "identity")


def manual_backward_applies(model) -> bool:
    """True when `model` is a NetworkBatch whose activation the hand-written backward covers."""
    from depthlab.models.batch import NetworkBatch

    return isinstance(model, NetworkBatch) and model.activation in MANUAL_ACTIVATIONS


def _first_layer(omega: torch.Tensor, beta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """z_1 = Omega_0 x^T + beta_0. omega (M, D_1, D_i); x (N, D_i) shared or (M, N, D_i) -> (M, D_1, N)."""
    m, d1, d_in = omega.shape
    if x.ndim == 2:
        z = torch.addmm(beta.reshape(m * d1, 1), omega.reshape(m * d1, d_in), x.T)  # (M * D_1, N)
        return z.view(m, d1, x.shape[0])
    return torch.baddbmm(beta[:, :, None], omega, x.transpose(1, 2))  # (M, D_1, N)


def _loss_gradient(out: torch.Tensor, y: torch.Tensor, loss: str, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """This block's share of the per-model loss (M,) and its gradient w.r.t. out, for a mean over n rows in all.

    out: (M, D_o, B); y: (M, B) or (M, B, D_o); B = n unless the rows come in blocks.
    """
    if loss == "cross_entropy":
        top = out.amax(dim=1, keepdim=True)  # (M, 1, N)
        grad = torch.exp(out - top)  # (M, D_o, N), one exp for the loss and the softmax
        total = grad.sum(dim=1, keepdim=True)  # (M, 1, N)
        index = y[:, None, :]  # (M, 1, N)
        losses = (total.log() + top - out.gather(1, index)).squeeze(1).sum(dim=1) / n  # (M,)
        grad.div_(total)  # softmax
        grad.scatter_add_(1, index, torch.full(index.shape, -1.0, dtype=out.dtype, device=out.device))
        return losses, grad.div_(n)
    diff = out - y.transpose(1, 2)  # (M, D_o, N)
    if loss == "mse":
        losses = diff.square().sum(dim=(1, 2)) / (n * out.shape[1])
        return losses, diff.mul_(2.0 / (n * out.shape[1]))
    losses = 0.5 * diff.square().sum(dim=1).sum(dim=1) / n  # mse_logits
    return losses, diff.div_(n)


def _activate_(z: torch.Tensor, activation: str, slope: float) -> torch.Tensor | None:
    """a[z] in place; returns what the backward multiplies by: a'(z) for leaky_relu, None otherwise
    (identity: 1; relu: the backward reads the activation itself, h > 0 exactly where z > 0)."""
    if activation == "identity":
        return None
    if activation == "relu":
        z.clamp_min_(0.0)
        return None
    scale = torch.full_like(z, slope).masked_fill_(z > 0, 1.0)  # in z's dtype (a float32 slope would round)
    z.mul_(scale)
    return scale


def _forward(batch, params: list[torch.Tensor], x: torch.Tensor, keep: bool):
    """Output (M, D_o, N), and with `keep` the hidden activations (M, D_k, N) and a'(z_k) for the backward."""
    n_layers = len(params) // 2
    weights, biases = params[:n_layers], params[n_layers:]
    hidden, derivatives = [], []
    h = None
    for k in range(n_layers):
        z = _first_layer(weights[0], biases[0], x) if k == 0 else torch.baddbmm(
            biases[k][:, :, None], weights[k], h)  # (M, D_{k+1}, N)
        if k == n_layers - 1:
            return z, hidden, derivatives
        derivative = _activate_(z, batch.activation, batch.negative_slope)
        if keep:
            derivatives.append(derivative)
            hidden.append(z)
        h = z


def mlp_forward(batch, params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Outputs of M stacked MLPs by the training step's arithmetic. x: (N, D_i) or (M, N, D_i) -> (M, N, D_o)."""
    with torch.no_grad():
        return _forward(batch, params, x, keep=False)[0].transpose(1, 2)


CHUNK_BYTES = 2 * 2**20  # a chunk of models whose widest activation (G, W, N) fits in about 2 MiB of cache


MIN_ROWS = 256  # row blocks are never smaller than this (small products lose more than the cache gains)


def row_block(batch, element_size: int) -> int:
    """Rows per block for one model: wide layers over many rows are run in row blocks whose widest activation
    (W, rows) stays near CHUNK_BYTES; the loss and gradients are sums over rows, so blocks add up exactly.
    Depends on the shape only, never on M, so a model's numbers are the same alone and in any batch."""
    return max(MIN_ROWS, CHUNK_BYTES // (max(batch.widths[1:]) * element_size))


def model_chunk(batch, n_rows: int, element_size: int) -> int:
    """How many models to run at once so the widest hidden activation (G, W, rows) stays near CHUNK_BYTES."""
    rows = min(max(n_rows, 1), row_block(batch, element_size))
    return max(1, CHUNK_BYTES // (max(batch.widths[1:]) * rows * element_size))


def mlp_loss_and_grads(batch, params: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor, loss: str):
    """Per-model losses, training accuracy and gradients of M stacked MLPs, without autograd.

    Models are processed in chunks (`model_chunk`) so each chunk's activations stay in cache; each
    model's numbers do not depend on the chunking.

    Parameters
    ----------
    batch : NetworkBatch
        Gives the activation and the layer count (its tensors are not used).
    params : list of Tensor
        [Omega_0..Omega_K, beta_0..beta_K] with leading dimension M.
    x : Tensor (N, D_i) shared or (M, N, D_i)
    y : Tensor (M, N) class indices or (M, N, D_o) targets
    loss : {"mse", "cross_entropy", "mse_logits"}

    Returns
    -------
    losses : Tensor (M,)
    accuracy : Tensor (M,) or None (mse)
    grads : list of Tensor, like `params`
    """
    m = params[0].shape[0]
    size = model_chunk(batch, x.shape[-2], params[0].element_size())
    if size >= m:
        return _chunk_loss_and_grads(batch, params, x, y, loss)
    parts = [
        _chunk_loss_and_grads(batch, [p[s : s + size] for p in params], x if x.ndim == 2 else x[s : s + size],
                              y[s : s + size], loss)
        for s in range(0, m, size)
    ]
    losses = torch.cat([part[0] for part in parts])
    accuracy = None if parts[0][1] is None else torch.cat([part[1] for part in parts])
    grads = [torch.cat([part[2][k] for part in parts]) for k in range(len(params))]
    return losses, accuracy, grads


def _chunk_loss_and_grads(batch, params: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor, loss: str):
    """`mlp_loss_and_grads` for one chunk of models, over its rows in blocks of `row_block` rows."""
    n = x.shape[-2]
    size = row_block(batch, params[0].element_size())
    losses, correct, grads = None, None, None
    for start in range(0, n, size):
        rows = slice(start, min(start + size, n))
        xb = x[rows] if x.ndim == 2 else x[:, rows]
        block = _block_loss_and_grads(batch, params, xb, y[:, rows], loss, n)
        if grads is None:
            losses, correct, grads = block
            continue
        losses = losses + block[0]
        correct = None if correct is None else correct + block[1]
        for total, part in zip(grads, block[2]):
            total.add_(part)
    accuracy = None if correct is None else correct.double() / n
    return losses, accuracy, grads


def _block_loss_and_grads(batch, params: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor, loss: str, n: int):
    """Loss share (M,), correct rows (M,) and gradients of one block of rows, for a mean over n rows in all."""
    n_layers = len(params) // 2
    weights = params[:n_layers]
    out, hidden, derivatives = _forward(batch, params, x, keep=True)
    correct = per_model_correct(out.transpose(1, 2), y, loss)  # (M,) or None
    losses, delta = _loss_gradient(out, y, loss, n)  # (M,), (M, D_o, B)
    grad_w: list[torch.Tensor] = [None] * n_layers
    grad_b: list[torch.Tensor] = [None] * n_layers
    for k in range(n_layers - 1, -1, -1):
        grad_b[k] = delta.sum(dim=2)  # (M, D_{k+1})
        if k == 0:
            grad_w[0] = _first_layer_grad(delta, x)
            break
        grad_w[k] = torch.bmm(delta, hidden[k - 1].transpose(1, 2))  # (M, D_{k+1}, D_k)
        delta = torch.bmm(weights[k].transpose(1, 2), delta)  # (M, D_k, B)
        if batch.activation == "relu":  # relu's backward kernel: delta where h > 0, else 0
            delta = torch.ops.aten.threshold_backward(delta, hidden[k - 1], 0.0)
        elif derivatives[k - 1] is not None:
            delta.mul_(derivatives[k - 1])
    return losses, correct, grad_w + grad_b


def _first_layer_grad(delta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """dOmega_0 = delta_1 x. delta (M, D_1, N); x (N, D_i) or (M, N, D_i) -> (M, D_1, D_i)."""
    m, d1, n = delta.shape
    if x.ndim == 2:
        return torch.mm(delta.reshape(m * d1, n), x).view(m, d1, x.shape[1])  # one product for all models
    return torch.bmm(delta, x)
