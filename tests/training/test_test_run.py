import pytest

from modlab.training.predictor import Predictor
from modlab.training.test_run import test_run as run_model
from modlab.training.test_run import test_run_frame
from modlab.training.trainers import LinearTrainer

from .conftest import make_spam


@pytest.fixture(scope="module")
def trainer():
    texts, labels = make_spam(200)
    return LinearTrainer(labels=["NEUTRAL", "SPAM"]).fit(texts, labels)


def test_scores_and_flags(trainer):
    out = run_model(trainer, ["win free cash prize claim", "lunch tomorrow at home"])
    spam, ham = out
    assert set(spam["label_scores"]) == {"NEUTRAL", "SPAM"}
    assert sum(spam["label_scores"].values()) == pytest.approx(1.0)
    assert spam["flagged"] and spam["flagged_labels"] == ["SPAM"] and spam["label"] == "SPAM"
    assert not ham["flagged"] and ham["flagged_labels"] == [] and ham["label"] == "NEUTRAL"


def test_thresholds_decide_flags(trainer):
    score = run_model(trainer, "win free cash")[0]["label_scores"]["SPAM"]
    assert run_model(trainer, "win free cash", {"SPAM": score})[0]["flagged"]  # ≥ flags
    assert not run_model(trainer, "win free cash", {"SPAM": min(score + 1e-6, 1.0)})[0]["flagged"]
    # NEUTRAL never flags, whatever its threshold
    assert not run_model(trainer, "lunch at home", {"NEUTRAL": 0.0, "SPAM": 1.0})[0]["flagged"]


def test_predictor_thresholds_are_the_default(trainer):
    predictor = Predictor(trainer, thresholds={"SPAM": 0.999999})
    assert not run_model(predictor, "win free cash prize")[0]["flagged"]
    frame = test_run_frame(predictor, ["win free cash prize", "hi"], {"SPAM": 0.5})
    assert list(frame.columns) == ["text", "NEUTRAL", "SPAM", "flagged", "flagged_labels"]
    assert frame["flagged"].tolist() == [True, False]


def test_widget_updates_bars_and_flags(trainer):
    pytest.importorskip("ipywidgets")
    from modlab.notebook_widgets import test_run_widget

    box = test_run_widget(trainer, {"SPAM": 0.5}, example="win free cash prize claim")
    assert "FLAGGED" in box.children[-1].value
    sliders = [c for row in box.children[1:-1] for c in row.children if hasattr(c, "step")]
    assert len(sliders) == 1  # one slider: SPAM only
    sliders[0].value = 1.0
    assert "not flagged" in box.children[-1].value
    assert box.thresholds() == {"SPAM": 1.0}
