"""A hand-written forward and backward for M stacked MLPs, in chunks of models, with preallocated buffers.

For the small networks depthlab trains, a training step's time goes to a few matrix products per layer
and, around them, to autograd's bookkeeping, fresh allocations (page faults on every large tensor) and
many small kernels. Here the step is written out in the transposed (M, W, N) layout with every buffer
allocated once per run and every product writing into it (`out=`):

    forward   z_{k+1} = [Omega_k | beta_k | 0] [h_k; 1; 0]          (D_{k+1}, R)
              h_{k+1} = a[z_{k+1}]                                  in place
    backward  [dOmega_k | dbeta_k | 0] += delta_{k+1} [h_k; 1; 0]^T  (D_{k+1}, P_k)
              delta_k = (Omega_k^T delta_{k+1}) * a'(z_k)

The bias rides in the product: each activation buffer carries a row of ones under its D_k rows (and zero
rows up to P_k, a multiple of `PAD`, so the products' inner dimension suits the vector units), and each
layer's parameters live as one augmented matrix [Omega_k | beta_k | 0] of shape (D_{k+1}, P_k). The
padding columns meet zero rows, so their gradient is exactly 0 and every elementwise optimizer (GD,
momentum, Adam, weight decay) keeps them at 0. The loss gradient is written in closed form; rows are
processed in blocks (`row_block`, by shape only) whose gradients add up.

Models run in chunks sized by their shape alone (one model at a time for the Fig. 20.2 nets, dozens at once for
tiny ones), each chunk's layer one batched product; a model's numbers do not depend on M or on the other
models, so a model trained alone and in any batch is bit-identical (tests/test_train_fused.py, where the batched
product computes each matrix as the single product does). Tested against autograd. Applies to ReLU, leaky ReLU
and identity MLPs.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from depthlab.train.losses import first_argmax

MANUAL_ACTIVATIONS: tuple[str, ...] = ("relu", "leaky_relu", "identity")
PAD = 8  # the inner dimension D_k + 1 of every product is rounded up to a multiple of this (8: tuned here)
CHUNK_BYTES = 2**20  # a row block's widest activation buffer (P, R) stays near this (one core's L2 here)
MODELS_BYTES = 4 * 2**20  # a chunk of models' widest buffer (G, P, R) stays near this (tiny nets: many at once)
MIN_ROWS = 256  # row blocks are never smaller than this (small products lose more than the cache gains)


def manual_backward_applies(model) -> bool:
    """True when `model` is a NetworkBatch whose activation the hand-written backward covers."""
    from depthlab.models.batch import NetworkBatch

    return isinstance(model, NetworkBatch) and model.activation in MANUAL_ACTIVATIONS


def padded(width: int) -> int:
    """P = D + 1 (the ones row) rounded up to a multiple of PAD."""
    return -(-(width + 1) // PAD) * PAD


def row_block(widths: Sequence[int], element_size: int) -> int:
    """Most rows per block for widths [D_i, ..., D_o]: the widest activation buffer (P, rows) stays near
    CHUNK_BYTES. By shape only, never M, so a model's numbers are the same alone and in any batch."""
    return max(MIN_ROWS, CHUNK_BYTES // (max(padded(w) for w in widths[:-1]) * element_size))


def model_chunk(widths: Sequence[int], rows: int, element_size: int) -> int:
    """How many models run together (one batched product per layer): the chunk's widest activation buffer
    (G, P, rows) stays near MODELS_BYTES. By shape only: a model's numbers are the same alone and in any batch
    when the batched product computes each matrix as the single product would (tested on this CPU)."""
    return max(1, MODELS_BYTES // (max(padded(w) for w in widths[:-1]) * rows * element_size))


def row_blocks(n: int, most: int) -> list[tuple[int, int]]:
    """[(start, stop), ...]: n rows in ceil(n / most) blocks of nearly equal size."""
    count = max(1, -(-n // most))
    size = -(-n // count)
    return [(s, min(s + size, n)) for s in range(0, n, size)]


# ------------------------------------------------------------------------------------------ layouts
def augment(params: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """[Omega_0..Omega_K, beta_0..beta_K], (M, D_{k+1}, D_k) and (M, D_{k+1}) -> [Omega_k | beta_k | 0] each
    (M, D_{k+1}, P_k)."""
    n_layers = len(params) // 2
    out = []
    for omega, beta in zip(params[:n_layers], params[n_layers:]):
        m, d_out, d_in = omega.shape
        work = torch.zeros(m, d_out, padded(d_in), dtype=omega.dtype, device=omega.device)
        work[:, :, :d_in] = omega
        work[:, :, d_in] = beta
        out.append(work)
    return out


def standard(work: Sequence[torch.Tensor], widths: Sequence[int]) -> list[torch.Tensor]:
    """Views [Omega_0..Omega_K, beta_0..beta_K] of augmented parameters (the inverse of `augment`)."""
    return [w[:, :, :d] for w, d in zip(work, widths[:-1])] + [w[:, :, d] for w, d in zip(work, widths[:-1])]


def augmented_input(x: torch.Tensor, width: int) -> torch.Tensor:
    """[x^T; 1; 0]: x (N, D_i) -> (P_0, N), or (M, N, D_i) -> (M, P_0, N)."""
    shape = (*x.shape[:-2], padded(width), x.shape[-2])
    out = torch.zeros(shape, dtype=x.dtype, device=x.device)
    out[..., :width, :] = x.transpose(-1, -2)
    out[..., width, :] = 1.0
    return out


# ------------------------------------------------------------------------------------------ the engine
class FusedMLP:
    """The hand-written training step of M stacked MLPs of one shape, on augmented parameters.

    Parameters
    ----------
    widths : list of int
        [D_i, D_1, ..., D_K, D_o].
    activation : {"relu", "leaky_relu", "identity"}
    negative_slope : float
    dtype, device : of the parameters and data.

    Models run in chunks of G (`model_chunk`: 1 for the Fig. 20.2 models, all 64 of 64 small nets on 256
    rows), rows in blocks (`row_block`), both chosen from the shape alone. The buffers (one chunk's and
    block's activations and deltas) are allocated on first use and reused; the augmented input is rebuilt
    only when a new x comes in.
    """

    def __init__(self, widths: Sequence[int], activation: str, negative_slope: float, dtype: torch.dtype,
                 device: torch.device | str = "cpu") -> None:
        self.widths, self.activation, self.slope = list(widths), activation, float(negative_slope)
        self.dtype, self.device = dtype, torch.device(device)
        self.element_size = torch.empty((), dtype=dtype).element_size()
        self.most_rows = row_block(self.widths, self.element_size)
        self._shape = (0, 0)
        self._x: torch.Tensor | None = None
        self._x_version = -1
        self._x_aug: torch.Tensor | None = None
        self._grads: list[torch.Tensor] | None = None

    @classmethod
    def for_batch(cls, batch, dtype: torch.dtype, device: torch.device | str = "cpu") -> FusedMLP:
        """The engine for a NetworkBatch's shape and activation."""
        return cls(batch.widths, batch.activation, batch.negative_slope, dtype, device)

    # -------------------------------------------------------------- buffers
    def _plan(self, n: int) -> tuple[list[tuple[int, int]], int]:
        """(row blocks, models per chunk) for n rows; the buffers sized for them."""
        blocks = row_blocks(n, self.most_rows)
        rows = blocks[0][1] - blocks[0][0]
        chunk = model_chunk(self.widths, rows, self.element_size)
        self._buffers(chunk, rows)
        return blocks, chunk

    def _buffers(self, chunk: int, rows: int) -> None:
        """Activation buffers [h_k; 1; 0] (G, P_k, rows), deltas (G, D_k, rows), output scratch."""
        if self._shape[0] >= chunk and self._shape[1] >= rows:
            return
        options = {"dtype": self.dtype, "device": self.device}
        hidden = self.widths[1:-1]
        self.h = [torch.zeros(chunk, padded(d), rows, **options) for d in hidden]  # h[k - 1] is h_k
        for h, d in zip(self.h, hidden):
            h[:, d].fill_(1.0)
        self.delta = [torch.empty(chunk, d, rows, **options) for d in hidden]
        self.scale = [torch.empty(chunk, d, rows, **options) for d in hidden] if self.activation == "leaky_relu" else []
        d_out = self.widths[-1]
        self.out = torch.empty(chunk, d_out, rows, **options)
        self.grad_out = torch.empty(chunk, d_out, rows, **options)
        self.top = torch.empty(chunk, 1, rows, **options)
        self.total = torch.empty(chunk, 1, rows, **options)
        self.minus_one = torch.full((chunk, 1, rows), -1.0, **options)
        self._shape = (chunk, rows)

    def _input(self, x: torch.Tensor) -> torch.Tensor:
        """[x^T; 1; 0], rebuilt only for a new or changed x."""
        if x is not self._x or x._version != self._x_version:
            self._x, self._x_version = x, x._version
            self._x_aug = augmented_input(x, self.widths[0])
        return self._x_aug

    def _grad_buffers(self, work: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        if self._grads is None or [g.shape for g in self._grads] != [w.shape for w in work]:
            self._grads = [torch.empty_like(w) for w in work]
        return self._grads

    @staticmethod
    def _chunk_input(x_aug: torch.Tensor, models: slice, rows: slice) -> torch.Tensor:
        """A chunk's block of the augmented input: (G, P_0, rows), shared inputs broadcast over the chunk."""
        g = models.stop - models.start
        return x_aug[:, rows].expand(g, -1, -1) if x_aug.ndim == 2 else x_aug[models, :, rows]

    # -------------------------------------------------------------- forward
    def _forward_block(self, weights: Sequence[torch.Tensor], h0: torch.Tensor) -> torch.Tensor:
        """A chunk's output (G, D_o, rows) on one block; the hidden buffers hold a[z_k] (and a'(z_k) for leaky)."""
        g, _, rows = h0.shape
        h = h0
        last = len(weights) - 1
        for k, omega in enumerate(weights):
            if k == last:
                return torch.bmm(omega, h, out=self.out[:g, :, :rows])
            d = self.widths[k + 1]
            z = self.h[k][:g, :d, :rows]
            torch.bmm(omega, h, out=z)
            self._activate_(z, k)
            h = self.h[k][:g, :, :rows]
        raise AssertionError("unreachable")

    def _activate_(self, z: torch.Tensor, k: int) -> None:
        if self.activation == "relu":
            z.clamp_min_(0.0)
        elif self.activation == "leaky_relu":
            scale = self.scale[k][: z.shape[0], :, : z.shape[2]]
            scale.fill_(self.slope).masked_fill_(z > 0, 1.0)  # in z's dtype (a float32 slope would round)
            z.mul_(scale)

    def forward(self, work: Sequence[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """Outputs (M, N, D_o) of the M models by the training step's arithmetic. x: (N, D_i) or (M, N, D_i)."""
        x_aug = self._input(x)
        n, m_count = x.shape[-2], len(work[0])
        blocks, chunk = self._plan(n)
        out = torch.empty(m_count, self.widths[-1], n, dtype=self.dtype, device=self.device)
        with torch.no_grad():
            for first in range(0, m_count, chunk):
                models = slice(first, min(first + chunk, m_count))
                weights = [w[models] for w in work]
                for start, stop in blocks:
                    h0 = self._chunk_input(x_aug, models, slice(start, stop))
                    out[models, :, start:stop] = self._forward_block(weights, h0)
        return out.transpose(1, 2)

    # -------------------------------------------------------------- loss
    def _loss_gradient(self, out: torch.Tensor, y: torch.Tensor, loss: str, n: int):
        """(loss shares (G,), correct rows (G,) or None, d loss / d out (G, D_o, rows)) of one block, for a mean
        over n rows. out: (G, D_o, rows); y: (G, rows) class indices or (G, rows, D_o) targets."""
        g, d_out, rows = out.shape
        grad = self.grad_out[:g, :, :rows]
        if loss == "cross_entropy":
            top = torch.amax(out, dim=1, keepdim=True, out=self.top[:g, :, :rows])  # (G, 1, rows)
            torch.sub(out, top, out=grad).exp_()  # one exp for the loss and the softmax
            total = torch.sum(grad, dim=1, keepdim=True, out=self.total[:g, :, :rows])
            index = y[:, None, :]  # (G, 1, rows)
            shares = (total.log() + top - out.gather(1, index)).sum(dim=(1, 2)) / n
            correct = (first_argmax(out, 1) == y).sum(dim=1)
            grad.div_(total).scatter_add_(1, index, self.minus_one[:g, :, :rows]).div_(n)
            return shares, correct, grad
        torch.sub(out, y.transpose(1, 2), out=grad)  # (G, D_o, rows)
        if loss == "mse":
            shares = grad.square().sum(dim=(1, 2)) / (n * d_out)
            return shares, None, grad.mul_(2.0 / (n * d_out))
        shares = 0.5 * grad.square().sum(dim=(1, 2)) / n  # mse_logits
        correct = (first_argmax(out, 1) == first_argmax(y, 2)).sum(dim=1)
        return shares, correct, grad.div_(n)

    # -------------------------------------------------------------- one step
    def loss_and_grads(self, work: Sequence[torch.Tensor], x: torch.Tensor, y: torch.Tensor, loss: str):
        """Per-model losses (M,), training accuracy (M,) or None (mse), and gradients like `work`.

        Parameters
        ----------
        work : list of Tensor
            Augmented parameters [(M, D_{k+1}, P_k)] (`augment`).
        x : Tensor (N, D_i) shared or (M, N, D_i)
        y : Tensor (M, N) class indices or (M, N, D_o) targets
        loss : {"mse", "cross_entropy", "mse_logits"}

        The gradient buffers are reused from step to step: read them before the next call.
        """
        x_aug = self._input(x)
        n, m_count = x.shape[-2], len(work[0])
        blocks, chunk = self._plan(n)
        grads = self._grad_buffers(work)
        losses = torch.zeros(m_count, dtype=self.dtype, device=self.device)
        correct = torch.zeros(m_count, dtype=torch.long, device=self.device)
        with torch.no_grad():
            for first in range(0, m_count, chunk):
                models = slice(first, min(first + chunk, m_count))
                weights, g = [w[models] for w in work], [gr[models] for gr in grads]
                for b, (start, stop) in enumerate(blocks):
                    rows = slice(start, stop)
                    shares, right = self._block(weights, g, self._chunk_input(x_aug, models, rows), y[models, rows],
                                                loss, n, b == 0)
                    losses[models] += shares
                    if right is not None:
                        correct[models] += right
        accuracy = None if loss == "mse" else correct.double() / n
        return losses, accuracy, grads

    def _block(self, weights, grads, h0: torch.Tensor, y: torch.Tensor, loss: str, n: int, first: bool):
        """Forward, loss and backward of one chunk on one block; gradients written (first block) or added."""
        g, _, rows = h0.shape
        out = self._forward_block(weights, h0)
        shares, correct, delta = self._loss_gradient(out, y, loss, n)
        for k in range(len(weights) - 1, -1, -1):
            h_in = h0 if k == 0 else self.h[k - 1][:g, :, :rows]  # [h_k; 1; 0]
            if first:
                torch.bmm(delta, h_in.transpose(1, 2), out=grads[k])
            else:
                grads[k].baddbmm_(delta, h_in.transpose(1, 2))
            if k == 0:
                break
            d = self.widths[k]
            below = self.delta[k - 1][:g, :, :rows]
            torch.bmm(weights[k][:, :, :d].transpose(1, 2), delta, out=below)  # Omega_k^T delta_{k+1}
            if self.activation == "relu":  # relu's backward kernel: delta where h > 0, else 0
                torch.ops.aten.threshold_backward.grad_input(below, self.h[k - 1][:g, :d, :rows], 0.0,
                                                            grad_input=below)
            elif self.activation == "leaky_relu":
                below.mul_(self.scale[k - 1][:g, :, :rows])
            delta = below
        return shares, correct


# ------------------------------------------------------------------------------------------ functional forms
def mlp_forward(batch, params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Outputs of M stacked MLPs by the training step's arithmetic. x: (N, D_i) or (M, N, D_i) -> (M, N, D_o)."""
    engine = FusedMLP.for_batch(batch, params[0].dtype, params[0].device)
    return engine.forward(augment(params), x)


def mlp_loss_and_grads(batch, params: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor, loss: str):
    """Per-model losses, training accuracy and gradients of M stacked MLPs, without autograd.

    Parameters
    ----------
    batch : NetworkBatch
        Gives the widths and the activation (its tensors are not used).
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
    engine = FusedMLP.for_batch(batch, params[0].dtype, params[0].device)
    losses, accuracy, grads = engine.loss_and_grads(augment(params), x, y, loss)
    return losses, accuracy, [g.clone() for g in standard(grads, batch.widths)]
