"""train.mimic: the targets are the teacher's logits (one model, an ensemble, per student), extra points added."""

import pytest
import torch

from depthlab import Network
from depthlab.models.residual import ResidualNetwork
from depthlab.train import NetworkBatch, fit, fit_many, mimic, teacher_logits

X = torch.randn(80, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
EXTRA = torch.randn(30, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)


def test_teacher_logits_are_the_outputs_of_one_teacher():
    teacher = Network.random([5, 12, 12, 3], seed=2)
    z = teacher_logits(teacher, X)
    assert z.shape == (80, 3) and z.dtype == torch.float64
    assert torch.equal(z, teacher(X))


def test_an_ensemble_teacher_averages_logits_list_or_batch():
    members = [Network.random([5, 12, 12, 3], seed=s) for s in range(4)]
    expected = sum(m(X) for m in members) / 4
    assert torch.allclose(teacher_logits(members, X), expected, atol=1e-14)
    assert torch.allclose(teacher_logits(NetworkBatch.from_networks(members), X), expected, atol=1e-14)
    residual = ResidualNetwork.random(5, 6, 3, 3, seed=9)
    mixed = teacher_logits([members[0], residual], X)
    assert torch.allclose(mixed, (members[0](X) + residual(X)) / 2, atol=1e-14)
    assert not torch.allclose(mixed, members[0](X))


def test_mimic_regresses_those_logits_on_x_and_the_extra_points():
    teacher = [Network.random([5, 12, 12, 3], seed=s) for s in range(2)]
    student = Network.random([5, 40, 3], seed=7)
    options = {"steps": 60, "lr": 1e-2, "batch_size": 32, "seed": 3}
    out = mimic(teacher, student, X, extra_x=EXTRA, **options)
    inputs = torch.cat([X, EXTRA])
    same = fit(student, inputs, teacher_logits(teacher, inputs), loss="mse_logits", **options)
    assert out.losses == same.losses and out.final_loss == same.final_loss
    assert out.final_loss < out.losses[0]
    without = mimic(teacher, student, X, **options)
    assert without.losses != out.losses  # the extra points are really in the training set


def test_a_student_identical_to_its_teacher_has_zero_loss_and_full_agreement():
    teacher = Network.random([5, 12, 3], seed=2)
    out = mimic(teacher, teacher, X, steps=1, lr=1e-3, dtype=torch.float64)
    assert out.losses[0] < 1e-28 and out.final_accuracy == 1.0  # equal up to float64 rounding of the forward


def test_many_students_per_student_teachers_match_fit_many_on_stacked_targets():
    teachers = [Network.random([5, 10, 10, 3], seed=s) for s in range(3)]
    students = NetworkBatch.random([5, 30, 3], seeds=[4, 5, 6])
    results = mimic(teachers, students, X, per_student=True, steps=30, lr=1e-2)
    targets = torch.stack([teacher_logits(t, X) for t in teachers])  # (3, 80, 3)
    expected = fit_many(students, X, targets, loss="mse_logits", steps=30, lr=1e-2)
    assert [r.final_loss for r in results] == [r.final_loss for r in expected]
    shared = mimic(teachers[0], students, X, steps=30, lr=1e-2)
    assert shared[0].losses == results[0].losses and shared[1].losses != results[1].losses


def test_bad_input_is_one_line():
    teacher = Network.random([5, 4, 3], seed=0)
    with pytest.raises(ValueError, match="'loss' option of mimic"):
        mimic(teacher, teacher, X, loss="mse")
    with pytest.raises(ValueError, match="'teacher' parameter must be"):
        teacher_logits("net", X)
    with pytest.raises(ValueError, match="'extra_x' parameter must have shape"):
        mimic(teacher, teacher, X, extra_x=torch.zeros(4, 2))
    with pytest.raises(ValueError, match="one teacher per student"):
        mimic([teacher], NetworkBatch.random([5, 4, 3], seeds=[0, 1]), X, per_student=True)
