"""Files that are complete or absent: staging names that carry their owner's pid, atomic replace, stale clean-up.

Everything depthlab writes (checkpoints, run folders, tables, the report) is first written under a
staging name beside its target, ``.{target name}.{pid}-{unique}.tmp``, and then moved over the target
with `os.replace` (atomic on POSIX), so a reader sees the old file or the new one, never half of one. A
process killed with SIGKILL cannot remove its staging file; the next writer into the same folder does,
but only staging files whose owning process is gone (a live writer's file is never touched).

    path = staging_path(target)            # .report.html.4242-1733333333000000000.tmp
    write_text(target, text)               # staging + os.replace; the staging file is removed on failure
    remove_stale(folder)                   # staging files and folders of dead processes
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

STAGING = re.compile(r"^\..*\.(\d+)-\d+\.tmp$")


def staging_path(target: str | os.PathLike, label: str | None = None) -> Path:
    """A fresh staging name beside `target`: ``.{label or target name}.{pid}-{time_ns}.tmp``."""
    target = Path(target)
    return target.parent / f".{label or target.name}.{os.getpid()}-{time.time_ns()}.tmp"


def owner(path: str | os.PathLike) -> int | None:
    """The pid encoded in a staging name, or None when `path` is not a staging name."""
    match = STAGING.match(Path(path).name)
    return int(match.group(1)) if match else None


def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this machine (one owned by another user counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False
    return True


def is_stale(path: str | os.PathLike) -> bool:
    """A staging file or folder whose owning process is gone (killed before it could clean up)."""
    pid = owner(path)
    return pid is not None and pid != os.getpid() and not process_alive(pid)


def remove_stale(folder: str | os.PathLike) -> list[Path]:
    """Remove the stale staging files and folders directly in `folder`; return what was removed."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for path in folder.iterdir():
        if not is_stale(path):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def write_bytes(target: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `target` through a staging file and os.replace; on any failure the staging file is removed
    and the old `target` (if any) is left as it was."""
    target = Path(target)
    staging = staging_path(target)
    try:
        with open(staging, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(staging, target)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise


def write_text(target: str | os.PathLike, text: str) -> None:
    """`write_bytes` of `text` encoded as UTF-8."""
    write_bytes(target, text.encode("utf-8"))
