"""Where a sweep's cells run: in this process, in a local process pool, or as Ray tasks.

A task is one cell: the experiment's name and its full config (data sets load on the worker through
the experiment's own loaders, from the config's ``data_dir``). Every executor's ``run`` yields
``(index, CellOutcome)`` pairs as cells finish, in completion order; closing the generator (an
interrupt) cancels the cells not yet started.

    local, workers == 1 : in this process, one cell after the other.
    local, workers > 1  : a process pool (forkserver start, so workers are clean forks of one
                          process that has imported depthlab), each worker with `threads` torch threads.
    ray                 : Ray's task API, on the cluster at `address` or on a local instance started
                          for the run; each task asks for `threads` CPUs.

A cell's failure (any Exception) is an outcome, not an error of the sweep; KeyboardInterrupt passes.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import torch

from depthlab import experiments
from depthlab.contracts.result import Result
from depthlab.lab.runs import metrics_document, write_run

EXECUTORS: tuple[str, ...] = ("local", "ray")
RAY_MISSING = "--executor ray needs Ray, which is not installed; install it with: pip install depthlab[ray]"


@dataclass(frozen=True)
class CellTask:
    """One cell to run: `name`'s experiment on `config`; its run folder goes under `out_root`."""

    index: int
    name: str
    config: dict[str, Any]
    out_root: str


@dataclass
class CellOutcome:
    """What running one cell gave.

    status : "ok" or "failed".
    seconds : wall time of the experiment's run (not of writing its folder).
    error : the one-line error of a failed cell ("ValueError: ...").
    document : metrics.json content of a finished cell.
    run_dir : its run folder.
    result : the Result itself, when the worker did not write the folder (Ray: the driver writes).
    """

    status: str
    seconds: float
    error: str = ""
    document: dict[str, Any] | None = None
    run_dir: str = ""
    result: Result | None = None


def one_line_error(error: BaseException) -> str:
    """ "TypeName: first line of the message" (the type alone when the message is empty)."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__


@contextlib.contextmanager
def _quiet_worker(threads: int) -> Iterator[None]:
    """torch threads set to `threads` and inner progress bars off, restored afterwards."""
    previous_threads, previous_progress = torch.get_num_threads(), os.environ.get("DEPTHLAB_PROGRESS")
    torch.set_num_threads(threads)
    os.environ["DEPTHLAB_PROGRESS"] = "0"
    try:
        yield
    finally:
        torch.set_num_threads(previous_threads)
        if previous_progress is None:
            os.environ.pop("DEPTHLAB_PROGRESS", None)
        else:
            os.environ["DEPTHLAB_PROGRESS"] = previous_progress


def run_cell(name: str, config: dict[str, Any], out_root: str | None, threads: int = 1) -> CellOutcome:
    """Run one cell: the experiment `name` on `config`, with `threads` torch threads.

    With `out_root` the run folder is written here (atomically, by `write_run`) and the outcome
    carries its metrics document; without it the outcome carries the Result for the caller to write.
    """
    experiment = experiments.get(name)
    start = time.perf_counter()
    with _quiet_worker(threads):
        try:
            result = experiment.run(config)
        except Exception as error:  # a failed cell is recorded and the sweep goes on
            return CellOutcome("failed", time.perf_counter() - start, one_line_error(error))
        seconds = time.perf_counter() - start
        if out_root is None:
            return CellOutcome("ok", seconds, result=result)
        return write_outcome(experiment, config, result, out_root, seconds)


def run_cell_pickled(name: str, config: dict[str, Any], threads: int = 1) -> bytes:
    """`run_cell` without an out_root, its outcome pickled: the Ray task. (Ray's own transport hands numpy
    arrays back read-only, which the figures' arrays must not be; plain pickle bytes arrive as they left.)"""
    return pickle.dumps(run_cell(name, config, None, threads))


def write_outcome(experiment: Any, config: dict[str, Any], result: Result, out_root: str,
                  seconds: float) -> CellOutcome:
    """Write a finished cell's run folder under `out_root` and return its outcome."""
    folder = write_run(experiment.name, experiment.claim, experiment.source, config, result, out_root, seconds)
    document = metrics_document(experiment.name, config, result, seconds, experiment.claim, experiment.source)
    return CellOutcome("ok", seconds, document=document, run_dir=str(folder))


def _set_worker_threads(threads: int) -> None:
    """Process-pool initializer: the worker's torch threads, no inner bars, matplotlib without a display."""
    import matplotlib

    matplotlib.use("Agg")
    torch.set_num_threads(threads)
    os.environ["DEPTHLAB_PROGRESS"] = "0"


def pool_size(n_cells: int, workers: int | None = None, threads: int | None = None) -> tuple[int, int]:
    """(workers, threads per worker) for a local pool: workers * threads <= the machine's cores.

    Defaults: as many workers as cores (at most one per cell), cores // workers threads each.
    """
    cores = os.cpu_count() or 1
    for flag, value in (("--workers", workers), ("--threads", threads)):
        if value is not None and value < 1:
            raise ValueError(f"The '{flag}' option must be >= 1. Got {value} instead.")
    if workers is None:
        workers = max(1, min(cores // (threads or 1), max(n_cells, 1)))
    threads = threads or max(1, cores // workers)
    if workers * threads > cores:
        raise ValueError(
            f"--workers {workers} x --threads {threads} = {workers * threads} threads would oversubscribe "
            f"the {cores} CPU cores; choose workers * threads <= {cores}."
        )
    return workers, threads


class LocalExecutor:
    """Cells in this process (one worker) or in a process pool of `workers` processes."""

    def __init__(self, workers: int, threads: int) -> None:
        self.workers, self.threads = workers, threads

    def describe(self) -> str:
        """One line for the summary."""
        where = "in this process" if self.workers == 1 else f"{self.workers} worker processes"
        return f"local: {where}, {self.threads} torch thread(s) each"

    def run(self, tasks: Sequence[CellTask]) -> Iterator[tuple[int, CellOutcome]]:
        """Yield (index, outcome) as cells finish."""
        if not tasks:
            return
        if self.workers == 1 or len(tasks) == 1:
            for task in tasks:
                yield task.index, run_cell(task.name, task.config, task.out_root, self.threads)
            return
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["depthlab.lab.executors", "depthlab.experiments"])
        pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_set_worker_threads,
                                   initargs=(self.threads,))
        try:
            pending = {pool.submit(run_cell, t.name, t.config, t.out_root, self.threads): t.index for t in tasks}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    index = pending.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool as error:
                        outcome = CellOutcome("failed", 0.0, "worker process died (" + one_line_error(error) + ")")
                    yield index, outcome
        except BaseException:  # Ctrl-C (the workers ignore SIGINT) or the caller closing early: stop now
            workers = getattr(pool, "_processes", None) or {}  # pid -> Process
            for process in list(workers.values()):
                process.terminate()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ValueError(RAY_MISSING) from None
    return ray


class RayExecutor:
    """Cells as Ray tasks: on the cluster at `address` ("auto", "ray://host:10001", ...) or, without
    one, on a local Ray instance with `workers * threads` CPUs started for the run and shut down after.
    If Ray is already initialized in this process, that instance is used (and left running)."""

    def __init__(self, address: str | None, workers: int, threads: int) -> None:
        self.ray = _import_ray()
        self.address, self.workers, self.threads = address, workers, threads

    def describe(self) -> str:
        """One line for the summary."""
        where = f"cluster at {self.address}" if self.address else "local Ray instance"
        return f"ray: {where}, {self.threads} CPU(s) per task"

    def _start(self) -> bool:
        """Connect or start Ray; True when this call started it (and so must shut it down)."""
        if self.ray.is_initialized():
            return False
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "error"}
        if self.address:
            self.ray.init(address=self.address, **options)
        else:
            self.ray.init(num_cpus=self.workers * self.threads, **options)
        return True

    def run(self, tasks: Sequence[CellTask]) -> Iterator[tuple[int, CellOutcome]]:
        """Yield (index, outcome) as cells finish; the driver writes each run folder."""
        if not tasks:
            return
        started = self._start()
        remote = self.ray.remote(num_cpus=self.threads, max_retries=0)(run_cell_pickled)
        pending: dict[Any, CellTask] = {}
        try:
            pending = {remote.remote(t.name, t.config, self.threads): t for t in tasks}
            while pending:
                done, _ = self.ray.wait(list(pending), num_returns=1)
                for ref in done:
                    task = pending.pop(ref)
                    try:
                        outcome = pickle.loads(self.ray.get(ref))
                    except self.ray.exceptions.RayError as error:  # the worker died, not the cell's code
                        outcome = CellOutcome("failed", 0.0, "Ray task failed (" + one_line_error(error) + ")")
                    if outcome.result is not None:
                        experiment = experiments.get(task.name)
                        outcome = write_outcome(experiment, task.config, outcome.result, task.out_root,
                                                outcome.seconds)
                    yield task.index, outcome
        finally:
            for ref in pending:
                self.ray.cancel(ref, force=True)
            if started:
                self.ray.shutdown()


def make_executor(kind: str, n_cells: int, workers: int | None = None, threads: int | None = None,
                  address: str | None = None) -> LocalExecutor | RayExecutor:
    """The executor `kind` ("local" or "ray") sized for `n_cells` cells; one-line ValueErrors for bad options."""
    if kind not in EXECUTORS:
        raise ValueError(f"The '--executor' option must be one of {EXECUTORS}. Got {kind!r} instead.")
    if address and kind != "ray":
        raise ValueError(f"--address {address!r} is for --executor ray. Got --executor {kind}.")
    if kind == "ray" and address:  # the cluster decides how many tasks run at once
        return RayExecutor(address, workers or 1, threads or 1)
    if kind == "ray":
        return RayExecutor(None, *pool_size(n_cells, workers, threads))
    return LocalExecutor(*pool_size(n_cells, workers, threads))

