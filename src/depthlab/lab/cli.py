"""The `depthlab` command: list experiments, run them into run folders, render the HTML report.

    depthlab list
    depthlab run NAME|all [--quick] [--seed N] [--out DIR] [--data-dir DIR] [--set key=value ...] [--json]
                          [--device cpu|cuda] [--executor local|ray [--address ADDR] [--workers N]]
    depthlab report [--runs DIR] [--out FILE]
    depthlab sweep NAME --grid KEY=V1,V2,... [--seeds N | --seed-list 0,3,7] [--executor local|ray] ...
    depthlab explore [--out FILE.html | --serve [--port P]] [--widths 2,32,32,32,1] [--seed N]

Exit codes: 0 done; 2 the input is at fault (unknown experiment, unknown or ill-typed --set key, a value out
of its rule, missing or corrupt data or checkpoint, sizes beyond the memory): one line on stderr naming the
problem and the fix, no run folder; 1 a fault of depthlab itself: one line on stderr with the path of a log
holding the traceback; 130 interrupted (Ctrl-C). Set DEPTHLAB_DEBUG=1 to see the traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import shutil
import sys
import tempfile
import textwrap
import time
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import torch

from depthlab import experiments
from depthlab.atomic import staging_path
from depthlab.checks import InputError
from depthlab.contracts.result import Result, verdict_label
from depthlab.lab.config import parse_overrides
from depthlab.lab.format import format_value
from depthlab.lab.grouped import GroupsFailed, describe_group, run_grouped
from depthlab.lab.runs import metrics_document, write_run
from depthlab.lab.sweep import DEFAULT_MAX_CELLS
from depthlab.train.checkpoint import with_checkpoint_root

EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
MAX_THREADS = 1024  # --threads for Ray tasks on a cluster (the local machine's cores bound every other use)
ALLOCATION_FAILURES = ("not enough memory", "can't allocate memory", "out of memory", "unable to allocate",
                       "cannot allocate memory")
PATH_ERRNOS = (errno.ENOENT, errno.EACCES, errno.EPERM, errno.EISDIR, errno.ENOTDIR, errno.EEXIST, errno.EROFS,
               errno.ENOSPC, errno.ENAMETOOLONG, errno.EDQUOT)


class CliError(InputError):
    """A user error the CLI reports in one line with exit code 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="depthlab", description="A lab for the science of depth.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list experiments with the claim each tests")
    run = sub.add_parser("run", help="run an experiment (or 'all') into a run folder")
    run.add_argument("name", help="experiment name, or 'all' for every experiment")
    run.add_argument("--quick", action="store_true", help="small size (under a minute on 2 cores)")
    run.add_argument("--seed", type=int, default=None, help="the one seed every random choice flows from")
    run.add_argument("--out", default="runs", help="root folder for run folders (default: runs)")
    run.add_argument("--data-dir", default=None, help="directory with the IDX data files (else $DEPTHLAB_DATA)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key")
    run.add_argument("--json", action="store_true", help="print metrics.json to stdout and nothing else there")
    run.add_argument(
        "--threads", type=int, default=1,
        help="torch CPU threads, at most the machine's cores (default 1: depthlab's small networks run fastest on "
             "one; 0 = torch's default)",
    )
    _add_device_flag(run)
    run.add_argument("--executor", default=None, choices=("local", "ray"),
                     help="spread the experiment's groups (e.g. random-labels: depth x labels x seed) over a local "
                          "process pool or Ray; default: one after the other in this process")
    run.add_argument("--address", default=None, help="Ray cluster address (host:port, ray://host:port or auto)")
    run.add_argument("--workers", type=int, default=None,
                     help="parallel groups with --executor (default: one per core)")
    report = sub.add_parser("report", help="render every run as one self-contained HTML page")
    report.add_argument("--runs", default="runs", help="root folder of run folders (default: runs)")
    report.add_argument("--out", default="report.html", help="HTML file to write (default: report.html)")
    _add_sweep_parser(sub)
    explore = sub.add_parser("explore", help="an interactive page: folding, composition, 2-D partitions, depth")
    target = explore.add_mutually_exclusive_group()
    target.add_argument("--out", default="explore.html", help="self-contained HTML file (default: explore.html)")
    target.add_argument("--serve", action="store_true", help="serve on 127.0.0.1; recomputes 2-D partitions")
    explore.add_argument("--port", type=int, default=None, help="port for --serve (default 8765; 0 = any free)")
    explore.add_argument("--widths", default="2,32,32,32,1", help="the 2-D view's net (2 inputs; limit 128 units)")
    explore.add_argument("--seed", type=int, default=0, help="seed of the random nets")
    return parser


def _add_device_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default=None, choices=("cpu", "cuda"),
                        help="where training experiments train (their 'device' key; default cpu)")


def _add_sweep_parser(sub: Any) -> None:
    sweep = sub.add_parser("sweep", help="run an experiment over every combination of grid values and seeds")
    sweep.add_argument("name", help="experiment name")
    sweep.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...",
                       help="a config key and its values, typed like --set (list-valued keys: values split by ';')")
    sweep.add_argument("--seeds", type=int, default=None, metavar="N", help="replicates 0..N-1 per grid point")
    sweep.add_argument("--seed-list", default=None, metavar="0,3,7", help="these replicate indices instead")
    sweep.add_argument("--seed", type=int, default=None, help="the sweep seed every cell seed derives from")
    sweep.add_argument("--quick", action="store_true", help="the experiments' quick size")
    sweep.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a fixed config override")
    sweep.add_argument("--out", default="runs", help="root folder; the sweep goes to OUT/sweeps/NAME/KEY")
    sweep.add_argument("--data-dir", default=None, help="directory with the IDX data files (else $DEPTHLAB_DATA)")
    sweep.add_argument("--json", action="store_true", help="print the table (JSON) to stdout and nothing else there")
    sweep.add_argument("--executor", default="local", help="local (process pool, default) or ray")
    sweep.add_argument("--address", default=None, help="Ray cluster address (e.g. auto); default: a local instance")
    sweep.add_argument("--workers", type=int, default=None, help="parallel cells (default: one per core)")
    sweep.add_argument("--threads", type=int, default=None, help="torch threads per cell (default: cores // workers)")
    sweep.add_argument("--plot", action="append", default=[], metavar="METRIC", help="draw METRIC over the grid")
    sweep.add_argument("--max-cells", type=int, default=None, metavar="N",
                       help=f"refuse grids of more than N cells (default {DEFAULT_MAX_CELLS:,})")
    _add_device_flag(sweep)


def _print_table(result: Result, quick: bool, stream) -> None:
    rows = [("claim", "published", "measured", "verdict")]
    for r in result.references:
        rows.append((r.claim, format_value(r.published), format_value(r.measured), verdict_label(r.verdict, quick)))
    widths = [min(max(len(row[i]) for row in rows), cap) for i, cap in enumerate((60, 22, 22, 22))]
    for n, row in enumerate(rows):
        cells = [textwrap.shorten(c, w, placeholder="…").ljust(w) for c, w in zip(row, widths)]
        print("  ".join(cells), file=stream)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=stream)


def _config_for(experiment: experiments.Experiment, args: argparse.Namespace) -> dict[str, Any]:
    config = experiment.config(quick=args.quick)
    if any(pair.split("=", 1)[0].strip() == "quick" for pair in args.set):
        raise CliError("--set quick: the size is chosen with --quick (full size without it), not with --set.")
    overrides = parse_overrides(args.set, config)
    if args.seed is not None:
        overrides["seed"] = args.seed
    data_dir = args.data_dir or overrides.get("data_dir") or os.environ.get("DEPTHLAB_DATA")
    if args.data_dir and not Path(args.data_dir).is_dir():
        raise CliError(f"--data-dir {args.data_dir!r} is not a directory; pass the folder holding mnist/.")
    overrides["data_dir"] = data_dir
    if args.device is not None and "device" in config:
        overrides["device"] = args.device
    elif args.device is not None and args.name != "all":
        raise CliError(f"--device: {experiment.name} trains no network (it has no 'device' key); leave out --device.")
    config = experiment.config(quick=args.quick, **overrides)
    if config.get("device") == "cuda" and not torch.cuda.is_available() and not getattr(args, "address", None):
        raise CliError("--device cuda: CUDA is not available on this machine (torch.cuda.is_available() is False); "
                       "use --device cpu")
    return config


def _executor_for(experiment: experiments.Experiment, config: dict[str, Any], args: argparse.Namespace):
    """The executor `depthlab run --executor` asks for (None: the experiment runs in this process)."""
    if args.executor is None:
        if args.address or args.workers:
            raise CliError("--address and --workers go with --executor ray (or local); add --executor.")
        return None
    if experiment.groups is None:
        if args.name == "all":
            return None
        raise CliError(f"--executor spreads an experiment's groups; {experiment.name} has none (experiments with "
                       f"groups: {', '.join(e.name for e in experiments.all_experiments() if e.groups)}). Run it "
                       "without --executor, or spread seeds and settings with depthlab sweep.")
    from depthlab.lab.executors import make_executor

    n_groups = len(experiment.groups.split(config))
    gpus = 1 if config.get("device") == "cuda" else 0
    return make_executor(args.executor, n_groups, args.workers, args.threads or None, args.address, gpus)


def check_writable(out: str | os.PathLike) -> Path:
    """The output folder `out`, checked before any experiment runs without creating anything: an existing folder
    is probed with a staging file, a missing one needs a writable folder above it; a one-line CliError when it is
    a file or cannot be written."""
    folder = Path(out)
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("."))
    if not existing.is_dir():
        what = "is a file" if existing == folder else f"lies under the file {str(existing)!r}"
        raise CliError(f"--out {str(folder)!r} {what}, not a folder; choose a folder for the run folders.")
    try:
        probe = staging_path(existing / "probe")
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise CliError(f"--out {str(folder)!r} cannot be written ({error.strerror or type(error).__name__}); "
                       "choose a writable folder.") from None
    return folder


_STATE = {"running": None}  # the experiment (or sweep) whose own code is running now, for the error messages


@contextlib.contextmanager
def _running(name: str) -> Iterator[None]:
    """Marks the time an experiment's own code runs: a plain ValueError before it is the input's fault. The mark
    stays when the code raises, for the error message (main clears it)."""
    _STATE["running"] = name
    yield
    _STATE["running"] = None


def run_one(experiment: experiments.Experiment, args: argparse.Namespace) -> dict[str, Any]:
    """Run one experiment, write its run folder, print the table (or JSON); return metrics.json content."""
    config = with_checkpoint_root(_config_for(experiment, args), experiment.name, args.out)
    executor = _executor_for(experiment, config, args)  # every bad option fails here, before any work
    human = sys.stderr if args.json else sys.stdout
    print(f"== {experiment.name}: {experiment.claim}", file=human, flush=True)
    start = time.perf_counter()
    with _running(experiment.name):
        if executor is None:
            result = experiment.run(config)
        else:
            print(f"groups: {len(experiment.groups.split(config))} ({executor.describe()})", file=human, flush=True)
            with executor:
                result = run_grouped(experiment, config, executor)
    seconds = time.perf_counter() - start
    folder = write_run(experiment.name, experiment.claim, experiment.source, config, result, args.out, seconds)
    if result.data:
        print(f"data: {result.data}", file=human)
    _print_table(result, bool(config.get("quick")), human)
    print(f"run folder: {folder}  ({seconds:.1f} s)\n", file=human, flush=True)
    document = metrics_document(experiment.name, config, result, seconds, experiment.claim, experiment.source)
    document["run_dir"] = str(folder)
    return document


def _set_threads(threads: int) -> None:
    cores = os.cpu_count() or 1
    if not 0 <= threads <= cores:
        raise CliError(f"--threads must be >= 0 (0 = torch's default) and at most the {cores} CPU cores. "
                       f"Got {threads}.")
    if threads > 0:
        torch.set_num_threads(threads)


def _command_run(args: argparse.Namespace) -> None:
    _set_threads(args.threads)
    chosen = experiments.all_experiments() if args.name == "all" else [experiments.get(args.name)]
    if args.name == "all" and args.set:
        raise CliError("--set applies to one experiment; run them one by one to override keys.")
    for experiment in chosen:  # every config is checked before the first experiment runs
        _config_for(experiment, args)
    check_writable(args.out)
    documents = [run_one(experiment, args) for experiment in chosen]
    if args.json:
        print(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2))


def _command_list() -> None:
    for experiment in experiments.all_experiments():
        print(f"{experiment.name:24s} {experiment.claim}")
        print(f"{'':24s} source: {experiment.source}")


def _command_report(args: argparse.Namespace) -> None:
    from depthlab.lab.report import render_page, scoreboard_text, write_report

    page, rows = render_page(args.runs)
    path = write_report(page, args.out)
    if rows:
        print(scoreboard_text(rows, shutil.get_terminal_size((120, 24)).columns))
    print(f"report: {Path(path).resolve()}")


def _command_sweep(args: argparse.Namespace) -> int:
    from depthlab.lab.executors import make_executor
    from depthlab.lab.sweep import SweepSpec, run_sweep, sweep_folder

    experiment = experiments.get(args.name)
    if args.threads is not None and args.threads > MAX_THREADS:
        raise CliError(f"The '--threads' option must be at most {MAX_THREADS}. Got {args.threads}.")
    spec = SweepSpec.build(experiment, _config_for(experiment, args), args.grid, args.seeds, args.seed_list,
                           max_cells=args.max_cells)
    n_cells = len(spec.cells(experiment))  # every cell's config is built (and checked by the rules) now
    executor = make_executor(args.executor, n_cells, args.workers, args.threads, args.address)
    check_writable(args.out)
    human = sys.stderr if args.json else sys.stdout
    print(f"== sweep {experiment.name}: {n_cells} cells ({executor.describe()})", file=human, flush=True)
    try:
        with _running(f"sweep {experiment.name}"):
            outcome = run_sweep(experiment, spec, args.out, executor, args.plot)
    except KeyboardInterrupt:
        print(f"depthlab: sweep interrupted; finished cells are kept in {sweep_folder(args.out, spec)}; "
              "rerun the same command to resume.", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"cells: {outcome.computed} run now, {outcome.resumed} read back, {len(outcome.failed)} failed", file=human)
    for label, error in outcome.failed:
        print(f"  failed: {label}: {error}", file=human)
    for note in outcome.notes:
        print(f"  note: {note}", file=human)
    print(f"sweep folder: {outcome.folder}  (table.csv, table.json{''.join(', ' + f.name for f in outcome.figures)})",
          file=human, flush=True)
    if args.json:
        print(json.dumps({**outcome.document(spec), "sweep_dir": str(outcome.folder), "computed": outcome.computed,
                          "resumed": outcome.resumed}, indent=2))
    return 1 if outcome.failed else 0


# ------------------------------------------------------------------------------------------------ errors
def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _is_allocation_failure(error: BaseException) -> bool:
    return isinstance(error, MemoryError) or (
        isinstance(error, RuntimeError) and any(s in str(error).lower() for s in ALLOCATION_FAILURES))


def _size_options(args: argparse.Namespace) -> str:
    """The options of this command line that set sizes (what to lower after running out of memory)."""
    given = [f"--set {pair}" for pair in getattr(args, "set", [])] + [f"--grid {g}" for g in getattr(args, "grid", [])]
    for flag in ("seeds", "seed_list"):
        if getattr(args, flag, None):
            given.append(f"--{flag.replace('_', '-')} {getattr(args, flag)}")
    if not getattr(args, "quick", True):
        given.append("full size (no --quick)")
    return ", ".join(given) or "the experiment's default sizes"


def _log_traceback(error: BaseException, args: argparse.Namespace) -> Path:
    """Write the traceback to OUT/.errors/ (or a temporary folder when that cannot be written); return the path."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    out = getattr(args, "out", None)
    folders = ([Path(out) / ".errors"] if out and args.command in ("run", "sweep") else []) + [
        Path(tempfile.gettempdir()) / "depthlab-errors"]
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{args.command}-{stamp}.log"
            path.write_text(f"depthlab {' '.join(sys.argv[1:])}\n{text}")
            return path
        except OSError:
            continue
    return Path("(no writable place for the log)")


def _report_error(error: BaseException, args: argparse.Namespace) -> int:
    """One line on stderr for an error that ended the command; its exit code."""
    running = _STATE["running"]
    if isinstance(error, InputError) or (isinstance(error, ValueError) and running is None):
        print(f"depthlab: error: {_first_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    if _is_allocation_failure(error):
        print(f"depthlab: error: out of memory{f' in {running}' if running else ''} ({_first_line(error)}); the "
              f"sizes asked for are too large for this machine: lower {_size_options(args)}.", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(error, OSError) and error.errno in PATH_ERRNOS:
        print(f"depthlab: error: {_first_line(error)}; check the paths given (--out, --data-dir, checkpoint_dir).",
              file=sys.stderr)
        return EXIT_USAGE
    log = _log_traceback(error, args)
    print(f"depthlab: internal error{f' in {running}' if running else ''}: {type(error).__name__}: "
          f"{_first_line(error)} (a fault of depthlab, not of the input; traceback in {log})", file=sys.stderr)
    return EXIT_INTERNAL


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `depthlab` command; returns the exit code (0, 1 internal, 2 input, 130 interrupted)."""
    matplotlib.use("Agg")
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            _command_list()
        elif args.command == "run":
            _command_run(args)
        elif args.command == "sweep":
            return _command_sweep(args)
        elif args.command == "explore":
            from depthlab.lab.explore import command

            return command(args.out, args.serve, args.port, args.widths, args.seed)
        else:
            _command_report(args)
    except KeyboardInterrupt:
        print("depthlab: interrupted; no partial run folder was left behind.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader of stdout went away (`depthlab report | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except GroupsFailed as error:
        print(f"depthlab: error: {error}", file=sys.stderr)
        for group, message in error.failures:
            print(f"  failed: {describe_group(group)}: {message}", file=sys.stderr)
        return 1
    except Exception as error:
        if os.environ.get("DEPTHLAB_DEBUG"):
            raise
        return _report_error(error, args)
    finally:
        _STATE["running"] = None
    return 0


if __name__ == "__main__":
    sys.exit(main())
