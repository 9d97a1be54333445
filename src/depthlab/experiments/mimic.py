"""mimic (seed 003, Ba & Caruana 2014): a shallow net trained on a deep net's logits beats the same net trained on
the labels.

For each data set: deep teachers (and 4-model ensembles of them) trained on the labels; a shallow wide
student with about one teacher's parameter count trained on the teacher's logits (`train.mimic`, L2 on
logits); the same shallow net trained directly on the labels (cross-entropy); and a shallow net with
`large_factor` times the parameters trained on the logits. Every group of same-shaped models (all teachers,
then each kind of student over seeds) trains together in one `fit_many` call, checkpointed so a rerun
resumes. Held-out accuracies are judged over seeds with `evidence.compare`; the published TIMIT phone
error rates are another task, so they stand beside ours as "not comparable" and only the ordering is judged.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from depthlab.architectures import mlp_params, shallow_width_for_budget
from depthlab.contracts import Experiment, Key, Reference, Result, keys, rules
from depthlab.data import load_dataset
from depthlab.progress import progress
from depthlab.seeds import derive_seed
from depthlab.train import NetworkBatch, accuracy, fit_many, mimic, teacher_logits
from depthlab.train.checkpoint import checkpoint_folder
from depthlab.train.divergence import DivergenceLog, Split, compare_trained, held_out_accuracy

SOURCE = "Ba & Caruana 2014, Do deep nets really need to be deep? (lecture 4M, seed 003_aa40f1eda924f9e5.txt)"
TIMIT_ERROR = {"direct": 23.1, "teacher": 21.9, "ensemble": 18.5, "mimic": 21.6, "mimic_large": 20.0}  # % phone error
LOADER_NAMES = {"mnist1d": "mnist1d", "fashion_mnist": "fashion-mnist"}
STAGES = ("teachers", "mimic", "direct", "mimic_large")


def _data(name: str, config: dict[str, Any]):
    """(Dataset with the labeled training rows, unlabeled extra inputs (N_extra, D) or None)."""
    n_train, n_test, n_extra = config[f"{name}_n_train"], config[f"{name}_n_test"], config["extra_points"]
    ds = load_dataset(LOADER_NAMES[name], config["data_dir"], n_train=n_train + n_extra, n_test=n_test,
                      seed=config["data_seed"])
    if not n_extra:
        return ds, None
    labeled = replace(ds, x=ds.x[:n_train], y=ds.y[:n_train],
                      notes=(*ds.notes, f"rows {n_train}..{n_train + n_extra - 1} used as unlabeled extra points"))
    return labeled, ds.x[n_train:]


def _fit_options(config: dict[str, Any], steps: int) -> dict[str, Any]:
    return {"optimizer": "adam", "lr": config["lr"], "steps": steps, "batch_size": config["batch_size"],
            "seed": derive_seed(config["seed"], "batches"), "history_every": max(1, steps // 10),
            "device": config["device"]}


def _checkpoint(folder, name: str, stage: str):
    return None if folder is None else folder / f"{name}_{stage}.pt"


def _seed_failures(split: Split, n_seeds: int, n_members: int) -> tuple[list[str], list[str]]:
    """Per seed: why its teacher (member 0) failed, and why its ensemble failed (any member); "" when it trained."""
    groups = [split.failures[s * n_members:(s + 1) * n_members] for s in range(n_seeds)]
    return [g[0] for g in groups], [next((f for f in g if f), "") for g in groups]


def _with_teacher(split: Split, teacher: list[str]) -> Split:
    """A student split in which a student of a failed teacher counts as failed too."""
    failures = tuple(own or (f"its teacher failed: {t}" if t else "") for own, t in zip(split.failures, teacher))
    return Split(split.group, failures, split.final_losses, split.chance_losses)


def _study(name: str, config: dict[str, Any], bar, log: DivergenceLog) -> dict[str, Any]:
    """Train teachers and the three kinds of students on one data set; held-out accuracies per seed, and which
    seeds count (the models that trained, students of teachers that trained)."""
    ds, extra = _data(name, config)
    d_in, d_out, n_seeds, n_members = ds.n_features, ds.n_classes, config["n_seeds"], config["ensemble_size"]
    teacher_shape = [d_in, *config["teacher_widths"], d_out]
    budget = mlp_params(d_in, config["teacher_widths"], d_out)
    width = shallow_width_for_budget(budget, d_in, d_out)
    large_width = shallow_width_for_budget(config["large_factor"] * budget, d_in, d_out)
    folder = checkpoint_folder(config, "mimic")
    seeds = {kind: [derive_seed(config["seed"], name, kind, s) for s in range(n_seeds * (n_members if kind ==
                                                                                         "teachers" else 1))]
             for kind in STAGES}
    teachers = fit_many(NetworkBatch.random(teacher_shape, seeds["teachers"]), ds.x, ds.y, loss="cross_entropy",
                        checkpoint=_checkpoint(folder, name, "teachers"), desc=f"{name} teachers",
                        **_fit_options(config, config["teacher_steps"]))
    next(bar)
    teacher_failed, ensemble_failed = _seed_failures(log.results(teachers, f"{name} teachers"), n_seeds, n_members)
    target_failed = ensemble_failed if config["mimic_teacher"] == "ensemble" else teacher_failed
    nets = [r.net for r in teachers]
    ensembles = [nets[s * n_members:(s + 1) * n_members] for s in range(n_seeds)]  # member 0 is seed s's teacher
    targets = ensembles if config["mimic_teacher"] == "ensemble" else [group[0] for group in ensembles]
    student_options = _fit_options(config, config["student_steps"])
    students = {}
    for kind, w in (("mimic", width), ("direct", width), ("mimic_large", large_width)):
        batch = NetworkBatch.random([d_in, w, d_out], seeds[kind])
        common = {"checkpoint": _checkpoint(folder, name, kind), "desc": f"{name} {kind}", **student_options}
        if kind == "direct":
            students[kind] = fit_many(batch, ds.x, ds.y, loss="cross_entropy", **common)
        else:
            students[kind] = mimic(targets, batch, ds.x, extra_x=extra, per_student=True, **common)
        next(bar)
    accuracies = {kind: [held_out_accuracy(r, ds.x_test, ds.y_test) for r in results]
                  for kind, results in students.items()}
    splits = {kind: log.results(results, f"{name} {kind}") for kind, results in students.items()}
    splits = {kind: split if kind == "direct" else _with_teacher(split, target_failed)
              for kind, split in splits.items()}
    accuracies["teacher"] = [accuracy(group[0], ds.x_test, ds.y_test) if not f else float("nan")
                             for group, f in zip(ensembles, teacher_failed)]
    accuracies["ensemble"] = [float((teacher_logits(group, ds.x_test).argmax(1) == ds.y_test).double().mean())
                              if not f else float("nan") for group, f in zip(ensembles, ensemble_failed)]
    splits["teacher"] = Split(f"{name} teacher", tuple(teacher_failed))
    splits["ensemble"] = Split(f"{name} ensemble", tuple(ensemble_failed))
    params = {"teacher": budget, "student": mlp_params(d_in, [width], d_out),
              "student_large": mlp_params(d_in, [large_width], d_out)}
    return {"accuracy": accuracies, "splits": splits, "params": params,
            "widths": {"student": width, "student_large": large_width},
            "dataset": ds, "n_extra": 0 if extra is None else int(extra.shape[0])}


def run(config: dict[str, Any]) -> Result:
    """Teachers, ensembles, mimic, direct and large mimic students on each data set; accuracies and verdicts."""
    total = len(config["datasets"]) * len(STAGES)
    bar = progress(iter(range(total)), desc="mimic", total=total, unit="group")
    log = DivergenceLog()
    studies = {name: _study(name, config, bar, log) for name in config["datasets"]}
    for _ in bar:  # close the bar
        pass
    metrics: dict[str, Any] = {"n_seeds": config["n_seeds"], "mimic_teacher": config["mimic_teacher"]}
    rows = []
    for name, study in studies.items():
        for kind in ("teacher", "ensemble", "mimic", "direct", "mimic_large"):
            split, values = study["splits"][kind], study["accuracy"][kind]
            kept = split.keep(values)
            metrics[f"{name}_{kind}_accuracy"] = float(np.median(kept)) if kept else float("nan")
            metrics[f"{name}_{kind}_accuracy_by_seed"] = split.mask(values)
            rows += [{"dataset": name, "model": kind, "seed_index": s, "test_accuracy": v,
                      "failure": split.failures[s]} for s, v in enumerate(values)]
        metrics[f"{name}_params"] = study["params"]
    metrics.update(log.metrics())
    return Result(
        metrics=metrics,
        references=[ref for name, study in studies.items() for ref in _references(name, study, config)],
        tables={"accuracies": rows},
        data="; ".join(f"{s['dataset'].describe()}, {s['n_extra']} unlabeled extra points" for s in studies.values()),
        notes=_notes(config, studies) + log.notes(),
    )


def _references(name: str, study: dict[str, Any], config: dict[str, Any]) -> list[Reference]:
    options = {"confidence": config["confidence"], "seed": derive_seed(config["seed"], "bootstrap", name)}
    acc, splits = study["accuracy"], study["splits"]
    medians = {k: np.median(splits[k].keep(v)) if splits[k].keep(v) else float("nan") for k, v in acc.items()}
    measured = ", ".join(f"{k} {m:.3f}" for k, m in medians.items())
    published = ", ".join(f"{k} {v}%" for k, v in TIMIT_ERROR.items())
    refs = [Reference(
        f"{name}: held-out accuracies of teacher, ensemble and students (TIMIT phone error rates as published)",
        SOURCE, published, f"accuracy (median over {config['n_seeds']} seeds): {measured}", "not comparable",
        "the published figures are phone error rates on TIMIT with 8k/400k-unit shallow nets and CNN teachers; "
        "these are accuracies on another task, so only the ordering is judged (below)",
    )]
    for a, b, claim in (("mimic", "direct", "the mimic student is more accurate than the same net trained on labels"),
                        ("mimic_large", "mimic", "the larger mimic student is more accurate than the smaller one"),
                        ("ensemble", "teacher", "the ensemble teacher is more accurate than one teacher")):
        result = compare_trained(acc[a], splits[a], acc[b], splits[b], "greater", **options)
        failed = "; ".join(c for c in (splits[a].count(), splits[b].count()) if c)
        refs.append(Reference(
            f"{name}: {claim}", SOURCE, f"{a} {TIMIT_ERROR[a]}% < {b} {TIMIT_ERROR[b]}% error (ordering)",
            f"median accuracy {result.median_a:.4f} vs {result.median_b:.4f}" + (f" ({failed})" if failed else ""),
            result.verdict,
            f"held-out accuracy over the seeds that trained, one-sided (greater): {result.summary()}",
        ))
    return refs


def _notes(config: dict[str, Any], studies: dict[str, dict]) -> list[str]:
    notes = []
    for name, s in studies.items():
        p = s["params"]
        notes.append(f"{name}: teacher {'-'.join(map(str, config['teacher_widths']))} ({p['teacher']:,} parameters), "
                     f"student {s['widths']['student']} units ({p['student']:,}), large student "
                     f"{s['widths']['student_large']} units ({p['student_large']:,}).")
    notes += [
        f"Students mimic the {'4-model ensemble' if config['mimic_teacher'] == 'ensemble' else 'single deep teacher'} "
        f"of their seed (mimic_teacher = {config['mimic_teacher']!r}); the ensemble of seed s holds "
        f"{config['ensemble_size']} teachers, the first of which is seed s's teacher.",
        f"Mimic loss: mean over rows of 0.5 ||student(x) - z(x)||^2 on the teacher's logits z (train.mimic); the "
        "students see the labeled training inputs"
        f"{' plus the unlabeled extra points' if config['extra_points'] else ''} and no labels. "
        f"extra_points = {config['extra_points']} (MNIST-1D: further generator samples; "
        "Fashion-MNIST: the training images after the labeled subset).",
        f"Adam, lr {config['lr']}, mini-batches of {config['batch_size']}, {config['teacher_steps']} steps for "
        f"teachers and {config['student_steps']} for students, He-normal initialization, float32.",
    ]
    if config["quick"]:
        notes.append("Quick size: MNIST-1D only, fewer examples, a smaller teacher and fewer steps; same code.")
    return notes


EXPERIMENT = Experiment(
    name="mimic",
    claim="A shallow wide net trained on a deep net's logits is more accurate than the same net trained on the labels "
          "(Ba & Caruana 2014).",
    source=SOURCE,
    keys={
        "device": keys.device(),
        "datasets": Key(["mnist1d", "fashion_mnist"], rules.choice_list(tuple(LOADER_NAMES)), quick=["mnist1d"]),
        "mnist1d_n_train": Key(4000, rules.integer(10), quick=1000),
        "mnist1d_n_test": Key(1000, rules.integer(1), quick=500),
        "fashion_mnist_n_train": Key(10000, rules.integer(10, 60000)),
        "fashion_mnist_n_test": Key(10000, rules.integer(1, 10000)),
        "extra_points": Key(0, rules.integer(0)),
        "data_seed": Key(42, rules.integer(0)),
        "teacher_widths": Key([128, 128, 128], rules.int_list(1, min_length=2), quick=[64, 64, 64]),
        "ensemble_size": Key(4, rules.integer(1)),
        "mimic_teacher": Key("single", rules.choice("single", "ensemble")),
        "large_factor": Key(8, rules.integer(2), quick=4),
        "lr": keys.lr(1e-3, quick=3e-3),
        "batch_size": Key(128, rules.integer(1), quick=100),
        "teacher_steps": Key(4000, rules.integer(1), quick=400),
        "student_steps": Key(4000, rules.integer(1), quick=400),
        "n_seeds": keys.n_seeds(3),
        "confidence": keys.confidence(),
        "checkpoint_dir": keys.checkpoint_dir(),
    },
    run=run,
    order=108,
)
