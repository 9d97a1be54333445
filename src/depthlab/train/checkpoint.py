"""Checkpoints of a training run: written atomically, so an interruption never leaves a corrupt file.

A checkpoint is one `torch.save` dict. It is written to a temporary file in the same folder and moved
over the old one with `os.replace` (atomic on POSIX), so at any moment the path holds either the
previous complete checkpoint or the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch


def save_checkpoint(state: dict, path: str | os.PathLike) -> None:
    """Write `state` to `path` atomically (temp file + os.replace), creating the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            torch.save(state, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def load_checkpoint(path: str | os.PathLike) -> dict | None:
    """The state saved at `path`, or None when there is none."""
    path = Path(path)
    if not path.exists():
        return None
    return torch.load(path, map_location="cpu", weights_only=False)


def fingerprint(tensors: list[torch.Tensor], settings: dict) -> str:
    """A hash of the starting tensors and the training settings: a checkpoint resumes only the same run."""
    digest = hashlib.sha256(repr(sorted(settings.items())).encode())
    for tensor in tensors:
        t = tensor.detach().cpu().contiguous()
        digest.update(str((t.dtype, tuple(t.shape))).encode())
        digest.update(t.view(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()[:16]


def checkpoint_folder(config: dict[str, Any], name: str) -> Path | None:
    """`checkpoint_dir` if set, else runs/.checkpoints/NAME/<hash of the config and of the training code>, so a
    rerun of the same config with the same code resumes and anything else starts afresh; None when it is "off"."""
    if config["checkpoint_dir"] == "off":
        return None
    if config["checkpoint_dir"]:
        return Path(config["checkpoint_dir"])
    relevant = {k: v for k, v in config.items() if k not in ("checkpoint_dir", "data_dir")}
    digest = hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):  # new training code, new checkpoints
        digest.update(source.read_bytes())
    return Path("runs") / ".checkpoints" / name / digest.hexdigest()[:12]
