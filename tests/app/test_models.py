"""The Explorer's model list: what each entry says about its checkpoint (pure functions)."""

from __future__ import annotations

from pathlib import Path

from locnet.app.models import checkpoint_note, model_choices
from locnet.models.checkpoints import CheckpointInfo


def _info(**fields) -> CheckpointInfo:
    base = {"path": Path("/x/locnet.pt"), "model": "locnet", "options": {"loss": "focal", "env": True}}
    return CheckpointInfo(**{**base, **fields})


def test_note_states_budget_and_validation_error():
    info = _info(
        variant="env-focal",
        epoch=1.5,
        metrics={"val_mean_m": 41.25},
        budget={"epochs": 1, "samples_seen": 46880, "minutes": 75.4, "hardware": "2 x CPU"},
    )
    assert checkpoint_note(info) == (
        "locnet.pt: kept epoch 1.5, 46,880 samples, 75 min on 2 x CPU; validation mean error 41.2 m"
    )


def test_note_of_a_continued_run_gives_the_total_budget():
    info = _info(
        epoch=2,
        metrics={"val_mean_m": 30.0},
        budget={
            "epochs": 3,
            "samples_seen": 72_944,
            "minutes": 118.4,
            "hardware": "2 x CPU",
            "init_from": "locnet-40min.pt",
        },
    )
    assert checkpoint_note(info) == (
        "locnet.pt: kept epoch 2 of a run started from locnet-40min.pt; in all, 72,944 samples, "
        "118 min on 2 x CPU; validation mean error 30.0 m"
    )


def test_note_of_a_checkpoint_without_records_is_its_name():
    assert checkpoint_note(_info()) == "locnet.pt"


def test_choices_list_checkpoints_and_missing_models_with_their_recipe():
    info = _info(variant="env-focal", metrics={"val_mean_m": 50.0})
    choices = {c.model: c for c in model_choices([info], "/x")}
    assert choices["locnet"].available and "validation mean error 50.0 m" in choices["locnet"].note
    assert not choices["mslocnet"].available
    assert "python -m locnet generate" in choices["mslocnet"].note
    assert choices["centroid"].available and choices["centroid"].family == "classical"


def test_torch_threads_follow_the_load_unless_the_user_chose():
    from locnet.app.models import THREADS_ENV, torch_threads_now

    assert torch_threads_now({}, load=0.3, cores=2) == 2  # idle: every core
    assert torch_threads_now({}, load=1.6, cores=2) == 1  # busy: threads would wait for each other
    assert torch_threads_now({THREADS_ENV: "3"}, load=5.0, cores=2) == 3
    assert torch_threads_now({THREADS_ENV: "0"}, load=0.0, cores=2) == 1
    assert torch_threads_now({THREADS_ENV: "many"}, load=0.0, cores=2) is None
    assert torch_threads_now({"OMP_NUM_THREADS": "2"}, load=5.0, cores=2) is None
