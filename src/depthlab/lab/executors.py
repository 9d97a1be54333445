"""Where independent tasks run: in this process, in a local process pool, or as Ray tasks.

A task is a sweep's cell (`CellTask`: the experiment's name and its full config) or one group of an
experiment split into groups (`GroupTask`: name, config and the group, `depthlab.contracts.Groups`). Data
sets load on the worker through the experiment's own loaders, from the config's ``data_dir``. Every
executor's ``run`` yields ``(index, outcome)`` pairs as tasks finish, in completion order; closing the
generator (an interrupt) cancels the tasks not yet started.

    local, workers == 1 : in this process, one cell after the other.
    local, workers > 1  : a process pool (forkserver start, so workers are clean forks of one
                          process that has imported depthlab), each worker with `threads` torch threads.
    ray                 : Ray's task API, on the cluster at `address` or on a local instance started
                          for the run; each task asks for `threads` CPUs.

A task's failure (any Exception) is an outcome, not an error of the run; KeyboardInterrupt passes.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import socket
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import torch

from depthlab import experiments
from depthlab.checks import InputError
from depthlab.contracts.result import Result
from depthlab.lab.runs import metrics_document, write_run
from depthlab.progress import inner_mode, progress_bar

EXECUTORS: tuple[str, ...] = ("local", "ray")
RAY_MISSING = "--executor ray needs Ray, which is not installed; install it with: pip install depthlab[ray]"


@dataclass(frozen=True)
class CellTask:
    """One cell to run: `name`'s experiment on `config`; its run folder goes under `out_root`."""

    index: int
    name: str
    config: dict[str, Any]
    out_root: str

    def work(self, threads: int, write: bool = True) -> CellOutcome:
        """Run the cell here; `write=False` hands the Result back for the driver to write (`finish`)."""
        return run_cell(self.name, self.config, self.out_root if write else None, threads)

    def finish(self, outcome: CellOutcome) -> CellOutcome:
        """On the driver, after a remote run: write the run folder of a Result that came back."""
        if outcome.result is None:
            return outcome
        return write_outcome(experiments.get(self.name), self.config, outcome.result, self.out_root, outcome.seconds)

    def failed(self, error: str) -> CellOutcome:
        return CellOutcome("failed", 0.0, error)


@dataclass(frozen=True)
class GroupTask:
    """One group of `name`'s experiment (its `groups`) on `config`."""

    index: int
    name: str
    config: dict[str, Any]
    group: dict[str, Any]

    def work(self, threads: int, write: bool = True) -> GroupOutcome:
        return run_group(self.name, self.config, self.group, threads)

    def finish(self, outcome: GroupOutcome) -> GroupOutcome:
        return outcome

    def failed(self, error: str) -> GroupOutcome:
        return GroupOutcome("failed", 0.0, error)


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


@dataclass
class GroupOutcome:
    """What running one group gave: status "ok" or "failed", seconds, the one-line error, the group's output."""

    status: str
    seconds: float
    error: str = ""
    output: Any = None


def one_line_error(error: BaseException) -> str:
    """ "TypeName: first line of the message" (the type alone when the message is empty)."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__


@contextlib.contextmanager
def _quiet_worker(threads: int) -> Iterator[None]:
    """torch threads set to `threads` and inner progress bars off (log lines kept in a log), restored afterwards."""
    previous_threads, previous_progress = torch.get_num_threads(), os.environ.get("DEPTHLAB_PROGRESS")
    torch.set_num_threads(threads)
    os.environ["DEPTHLAB_PROGRESS"] = inner_mode()
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


def run_group(name: str, config: dict[str, Any], group: dict[str, Any], threads: int = 1) -> GroupOutcome:
    """Run one group of the experiment `name` on `config`, with `threads` torch threads; its output comes back."""
    experiment = experiments.get(name)
    start = time.perf_counter()
    with _quiet_worker(threads):
        try:
            output = experiment.groups.run(config, group)
        except Exception as error:  # a failed group is recorded; the others go on
            return GroupOutcome("failed", time.perf_counter() - start, one_line_error(error))
    return GroupOutcome("ok", time.perf_counter() - start, output=output)


def _work(task: CellTask | GroupTask, threads: int):
    """A task run in a pool worker."""
    return task.work(threads)


def _work_pickled(task: CellTask | GroupTask, threads: int) -> bytes:
    """A task run as a Ray task, its outcome pickled (the driver writes any run folder). Ray's own transport
    hands numpy arrays back read-only, which the figures' arrays must not be; pickle bytes arrive as they left."""
    return pickle.dumps(task.work(threads, write=False))


def write_outcome(experiment: Any, config: dict[str, Any], result: Result, out_root: str,
                  seconds: float) -> CellOutcome:
    """Write a finished cell's run folder under `out_root` and return its outcome."""
    folder = write_run(experiment.name, experiment.claim, experiment.source, config, result, out_root, seconds)
    document = metrics_document(experiment.name, config, result, seconds, experiment.claim, experiment.source)
    return CellOutcome("ok", seconds, document=document, run_dir=str(folder))


def _set_worker_threads(threads: int) -> None:
    """Process-pool initializer: the worker's torch threads, no inner bars (log lines when the parent logs: the
    worker writes to the same stderr), matplotlib without a display."""
    import matplotlib

    matplotlib.use("Agg")
    torch.set_num_threads(threads)
    os.environ["DEPTHLAB_PROGRESS"] = inner_mode()


def pool_size(n_cells: int, workers: int | None = None, threads: int | None = None) -> tuple[int, int]:
    """(workers, threads per worker) for a local pool: workers * threads <= the machine's cores.

    Defaults: as many workers as cores (at most one per cell), cores // workers threads each.
    """
    cores = os.cpu_count() or 1
    for flag, value in (("--workers", workers), ("--threads", threads)):
        if value is not None and value < 1:
            raise InputError(f"The '{flag}' option must be >= 1. Got {value} instead.")
    if workers is None:
        workers = max(1, min(cores // (threads or 1), max(n_cells, 1)))
    threads = threads or max(1, cores // workers)
    if workers * threads > cores:
        raise InputError(
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

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def run(self, tasks: Sequence[CellTask | GroupTask]) -> Iterator[tuple[int, Any]]:
        """Yield (index, outcome) as tasks finish."""
        if not tasks:
            return
        if self.workers == 1 or len(tasks) == 1:
            for task in tasks:
                yield task.index, task.work(self.threads)
            return
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["depthlab.lab.executors", "depthlab.experiments"])
        pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_set_worker_threads,
                                   initargs=(self.threads,))
        try:
            pending = {pool.submit(_work, t, self.threads): t for t in tasks}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    task = pending.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool as error:
                        outcome = task.failed("worker process died (" + one_line_error(error) + ")")
                    yield task.index, outcome
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
        raise InputError(RAY_MISSING) from None
    return ray


def check_address(address: str) -> None:
    """Fail fast, in one line, when nothing listens at a Ray cluster address ("host:port" or "ray://host:port";
    "auto" is left to Ray, which answers at once)."""
    if address == "auto":
        return
    target = address.split("://", 1)[-1]
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--address {address!r} is not a Ray address; give host:port, ray://host:port or auto.")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as error:
        raise ValueError(f"--address {address!r}: no Ray cluster answers there ({error.strerror or error}); start one "
                         "with 'ray start --head' or leave out --address for a local Ray instance.") from None


class RayExecutor:
    """Tasks as Ray tasks: on the cluster at `address` ("auto", "ray://host:10001", ...) or, without
    one, on a local Ray instance with `workers * threads` CPUs started for the run and shut down after.
    If Ray is already initialized in this process, that instance is used (and left running). Each task asks
    for `threads` CPUs and `gpus` GPUs. As a context manager it connects on entry (a one-line ValueError when
    it cannot) and shuts down on exit what it started."""

    def __init__(self, address: str | None, workers: int, threads: int, gpus: float = 0) -> None:
        self.ray = _import_ray()
        self.address, self.workers, self.threads, self.gpus = address, workers, threads, gpus
        self._started = False
        if address:
            check_address(address)

    def describe(self) -> str:
        """One line for the summary."""
        where = f"cluster at {self.address}" if self.address else "local Ray instance"
        gpus = f", {self.gpus:g} GPU(s)" if self.gpus else ""
        return f"ray: {where}, {self.threads} CPU(s){gpus} per task"

    def _start(self) -> bool:
        """Connect or start Ray; True when this call started it (and so must shut it down)."""
        if self.ray.is_initialized():
            return False
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "error"}
        try:
            if self.address:
                self.ray.init(address=self.address, **options)
            else:
                self.ray.init(num_cpus=self.workers * self.threads, **options)
        except Exception as error:  # Ray's own errors are many lines; the CLI shows one
            where = f"the cluster at {self.address!r}" if self.address else "a local Ray instance"
            raise ValueError(f"--executor ray could not start or reach {where} ({one_line_error(error)}); check "
                             "--address, or run without --executor ray.") from None
        return True

    def __enter__(self) -> RayExecutor:
        self._started = self._start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._started:
            self.ray.shutdown()
            self._started = False

    def run(self, tasks: Sequence[CellTask | GroupTask]) -> Iterator[tuple[int, Any]]:
        """Yield (index, outcome) as tasks finish; the driver writes each cell's run folder."""
        if not tasks:
            return
        started = self._start()
        remote = self.ray.remote(num_cpus=self.threads, num_gpus=self.gpus, max_retries=0)(_work_pickled)
        pending: dict[Any, CellTask | GroupTask] = {}
        try:
            pending = {remote.remote(t, self.threads): t for t in tasks}
            while pending:
                done, _ = self.ray.wait(list(pending), num_returns=1)
                for ref in done:
                    task = pending.pop(ref)
                    try:
                        outcome = task.finish(pickle.loads(self.ray.get(ref)))
                    except self.ray.exceptions.RayError as error:  # the worker died, not the task's code
                        outcome = task.failed("Ray task failed (" + one_line_error(error) + ")")
                    yield task.index, outcome
        finally:
            for ref in pending:
                self.ray.cancel(ref, force=True)
            if started:
                self.ray.shutdown()


def make_executor(kind: str, n_cells: int, workers: int | None = None, threads: int | None = None,
                  address: str | None = None, gpus: float = 0) -> LocalExecutor | RayExecutor:
    """The executor `kind` ("local" or "ray") sized for `n_cells` tasks; one-line ValueErrors for bad options
    (an unknown kind, Ray not installed, nothing answering at `address`). `gpus`: per Ray task."""
    if kind not in EXECUTORS:
        raise InputError(f"The '--executor' option must be one of {EXECUTORS}. Got {kind!r} instead.")
    if address and kind != "ray":
        raise InputError(f"--address {address!r} is for --executor ray. Got --executor {kind}.")
    if kind == "ray" and address:  # the cluster decides how many tasks run at once
        return RayExecutor(address, workers or 1, threads or 1, gpus)
    if kind == "ray":
        return RayExecutor(None, *pool_size(n_cells, workers, threads), gpus)
    return LocalExecutor(*pool_size(n_cells, workers, threads))


def collect(executor: LocalExecutor | RayExecutor, tasks: Sequence[CellTask | GroupTask], outcomes: dict[int, Any],
            total: int, desc: str, unit: str = "cell") -> None:
    """Run `tasks` on `executor` into `outcomes` (index -> outcome), with one bar over `total` (done, failed)."""
    bar = progress_bar(total=total, desc=desc, unit=unit, initial=total - len(tasks))
    failed = 0
    runs = executor.run(tasks)
    try:
        for index, outcome in runs:
            outcomes[index] = outcome
            failed += outcome.status != "ok"
            bar.set_postfix_str(f"failed {failed}", refresh=False)
            bar.update(1)
    finally:
        runs.close()
        bar.close()

