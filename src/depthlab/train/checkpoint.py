"""Checkpoints of a training run: plain data only, written atomically, loaded without running any code.

A checkpoint is one `torch.save` dict of tensors and plain containers (dicts, lists, numbers, strings,
None): parameters, optimizer state, histories, generator states as byte tensors. It is loaded with
``torch.load(weights_only=True)``, which refuses anything else, so a file dropped into a checkpoint
folder cannot run code. A file that is empty, truncated, text, a pickle of anything else, of other
shapes or of another run is refused with one line naming it (`CheckpointError`).

It is written to a staging file beside the target and moved over the old one with `os.replace`
(atomic on POSIX), so the path holds the previous complete checkpoint or the new one; staging files
left by a killed process are removed by the next save or load in that folder (`depthlab.atomic`).

`checkpoint_folder(config, name, root)` is where an experiment keeps its checkpoints.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

import torch

from depthlab.atomic import remove_stale, write_bytes
from depthlab.checks import InputError

DEFAULT_ROOT = Path("runs") / ".checkpoints"
FIX = "corrupt or not a depthlab checkpoint of this run; delete it"


class CheckpointError(InputError):
    """A checkpoint file that cannot be resumed from: unreadable, not plain data, or of another run."""


def checkpoint_error(path: str | os.PathLike, reason: str = "") -> CheckpointError:
    """The one-line error for a checkpoint file that cannot be resumed from."""
    detail = f" ({reason})" if reason else ""
    return CheckpointError(f"The checkpoint {path} is {FIX}{detail}.")


def save_checkpoint(state: dict, path: str | os.PathLike) -> None:
    """Write `state` (tensors and plain containers only) to `path` atomically, creating the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(path.parent)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_bytes(path, buffer.getvalue())


def load_checkpoint(path: str | os.PathLike) -> dict | None:
    """The state saved at `path` (a dict), or None when there is none.

    Loaded with ``weights_only=True``: nothing in the file is executed. Raises `CheckpointError` (one line
    naming the file) when the file cannot be read as a depthlab checkpoint.
    """
    path = Path(path)
    remove_stale(path.parent)
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # EOFError, UnpicklingError, RuntimeError, OSError, ...: all mean "not ours"
        raise checkpoint_error(path, f"unreadable: {type(error).__name__}") from None
    if not isinstance(state, dict):
        raise checkpoint_error(path, f"holds a {type(state).__name__}, not a dict")
    return state


def fingerprint(tensors: list[torch.Tensor], settings: dict) -> str:
    """A hash of the starting tensors and the training settings: a checkpoint resumes only the same run."""
    digest = hashlib.sha256(repr(sorted(settings.items())).encode())
    for tensor in tensors:
        t = tensor.detach().cpu().contiguous()
        digest.update(str((t.dtype, tuple(t.shape))).encode())
        digest.update(t.view(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()[:16]


def checkpoint_folder(config: dict[str, Any], name: str, root: str | os.PathLike | None = None) -> Path | None:
    """Where experiment `name` keeps its checkpoints: `config["checkpoint_dir"]` if set, None when it is "off",
    else ROOT/NAME/<hash of the config and of the training code> (ROOT: `root`, default runs/.checkpoints), so a
    rerun of the same config with the same code resumes and anything else starts afresh."""
    if config["checkpoint_dir"] == "off":
        return None
    if config["checkpoint_dir"]:
        return Path(config["checkpoint_dir"])
    relevant = {k: v for k, v in config.items() if k not in ("checkpoint_dir", "data_dir")}
    digest = hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):  # new training code, new checkpoints
        digest.update(source.read_bytes())
    return (DEFAULT_ROOT if root is None else Path(root)) / name / digest.hexdigest()[:12]


def with_checkpoint_root(config: dict[str, Any], name: str, out_root: str | os.PathLike) -> dict[str, Any]:
    """`config` with a default ("") `checkpoint_dir` resolved to OUT/.checkpoints/NAME/<hash>: the CLI keeps an
    experiment's checkpoints under its output folder. Configs without the key come back unchanged."""
    if config.get("checkpoint_dir") != "":
        return config
    return {**config, "checkpoint_dir": str(checkpoint_folder(config, name, Path(out_root) / ".checkpoints"))}
