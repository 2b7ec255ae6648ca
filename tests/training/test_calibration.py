import numpy as np
import pytest

from modlab.training.calibration import (
    ISOTONIC_MIN_CLASS,
    ISOTONIC_MIN_ROWS,
    ProbabilityCalibrator,
    ece_noise_floor,
    expected_calibration_error,
    label_method,
    resolve_method,
)


def _miscalibrated(n, seed, distort):
    rng = np.random.default_rng(seed)
    q = rng.random(n)  # true probability
    y = (rng.random(n) < q).astype(int)
    return y, distort(q)


def overconfident(q):
    logit = np.log(q / (1 - q))
    return 1 / (1 + np.exp(-3 * logit))


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
@pytest.mark.parametrize("distort", [overconfident, lambda q: q**3], ids=["over", "skewed"])
def test_calibration_reduces_ece(method, distort):
    y_fit, p_fit = _miscalibrated(4000, 0, distort)
    y_new, p_new = _miscalibrated(4000, 1, distort)
    before = expected_calibration_error(y_new, p_new)
    assert before > 0.08  # the construction really is miscalibrated
    cal = ProbabilityCalibrator(method, multi_label=True).fit(p_fit[:, None], y_fit[:, None])
    after = expected_calibration_error(y_new, cal.transform(p_new[:, None])[:, 0])
    assert after < before / 2
    assert after < 0.05


def test_single_label_rows_sum_to_one_and_json_roundtrip(tmp_path):
    y, p = _miscalibrated(2000, 2, overconfident)
    proba = np.stack([1 - p, p], axis=1)
    Y = np.stack([1 - y, y], axis=1)
    cal = ProbabilityCalibrator("isotonic", multi_label=False).fit(proba, Y)
    out = cal.transform(proba)
    assert np.allclose(out.sum(axis=1), 1.0)
    loaded = ProbabilityCalibrator.load(cal.save(tmp_path / "cal.json"))
    assert np.allclose(loaded.transform(proba), out)


def test_constant_label_column_passes_through():
    proba = np.array([[0.2, 0.8], [0.4, 0.6]])
    cal = ProbabilityCalibrator("sigmoid", multi_label=True).fit(proba, np.array([[0, 1], [0, 1]]))
    assert np.allclose(cal.transform(proba), proba)


def test_unknown_method_and_unfitted():
    with pytest.raises(ValueError):
        ProbabilityCalibrator("beta")
    with pytest.raises(RuntimeError):
        ProbabilityCalibrator().transform(np.ones((1, 2)))


def test_auto_uses_platt_on_small_calibration_sets():
    assert resolve_method("auto", ISOTONIC_MIN_ROWS) == "auto"  # decided per label
    assert resolve_method("auto", ISOTONIC_MIN_ROWS - 1) == "sigmoid"
    assert resolve_method("isotonic", 10) == "isotonic"


def test_auto_gives_rare_labels_platt_and_frequent_ones_isotonic():
    """A label with 40 positives among 3,000 rows gets a smooth Platt map, not an isotonic
    staircase whose few plateaus give unrelated texts the same score."""
    rng = np.random.default_rng(0)
    n = 3000
    y_common, p_common = _miscalibrated(n, 1, overconfident)
    y_rare = np.zeros(n, dtype=int)
    y_rare[rng.choice(n, ISOTONIC_MIN_CLASS - 60, replace=False)] = 1
    p_rare = np.clip(0.3 * y_rare + rng.random(n) * 0.7, 0.001, 0.999)
    Y, P = np.c_[y_common, y_rare], np.c_[p_common, p_rare]
    assert [label_method("auto", Y[:, j]) for j in range(2)] == ["isotonic", "sigmoid"]
    cal = ProbabilityCalibrator("auto", multi_label=True).fit(P, Y)
    assert "x" in cal.maps_[0] and "a" in cal.maps_[1]
    probe = np.c_[np.linspace(0.01, 0.99, 200), np.linspace(0.01, 0.99, 200)]
    rare = cal.transform(probe)[:, 1]
    assert len(np.unique(rare)) == 200 and np.all(np.diff(rare) > 0)  # no plateaus
    again = ProbabilityCalibrator.from_dict(cal.to_dict())
    assert np.allclose(again.transform(probe), cal.transform(probe))
    assert label_method("isotonic", y_rare) == "isotonic"  # an explicit choice is kept


def test_isotonic_saturates_on_small_sets_where_platt_keeps_the_order():
    """Why "auto" exists: on 150 calibration rows isotonic maps a fifth of new scores to
    exactly 0 or 1 (certainty it has not earned, and ties that lose the ranking thresholds
    need); Platt keeps every score strictly inside (0, 1), distinct and ordered."""
    y, p = _miscalibrated(150, 3, overconfident)
    iso = ProbabilityCalibrator("isotonic", multi_label=True).fit(p[:, None], y[:, None])
    platt = ProbabilityCalibrator("sigmoid", multi_label=True).fit(p[:, None], y[:, None])
    probe = np.sort(_miscalibrated(500, 4, overconfident)[1])[:, None]
    saturated = iso.transform(probe)[:, 0]
    assert np.isin(saturated, (0.0, 1.0)).mean() > 0.1
    out = platt.transform(probe)[:, 0]
    assert not np.isin(out, (0.0, 1.0)).any()
    assert np.all(np.diff(out) >= 0) and len(np.unique(out)) > 400


def test_ece_noise_floor_is_the_ece_of_calibrated_outcomes_and_shrinks_with_rows():
    rng = np.random.default_rng(3)
    floors = []
    for n in (250, 2500):
        p = rng.beta(0.7, 0.7, n)
        simulated = [expected_calibration_error(rng.random(n) < p, p) for _ in range(300)]
        floor = ece_noise_floor(p)
        assert abs(floor - np.mean(simulated)) < 0.004
        floors.append(floor)
    assert floors[0] > 0.04 and floors[1] < floors[0] / 2.5  # ~1/sqrt(n)
    # A miscalibrated model (scores squashed towards 0.5) sits far above its floor.
    p = rng.beta(0.7, 0.7, 2500)
    y = rng.random(2500) < p
    squashed = 0.5 + (p - 0.5) * 0.4
    assert expected_calibration_error(y, squashed) > 3 * ece_noise_floor(squashed)
    assert np.isnan(ece_noise_floor(np.array([])))
