"""Training the scene head (vision/train_scene_head.py) on small synthetic data, and its label table."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import DataError
from vision.train_scene_head import average_precision, cross_validate, fit, read_labels


def test_the_regression_separates_what_is_separable_and_balances_a_rare_class():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5))
    y = (x[:, 0] > 1.2).astype(np.int64)  # about 12% positive
    w, b = fit(x, y, strength=1.0)
    predicted = (x @ w + b) >= 0
    assert w[0] > np.abs(w[1:]).max() and predicted[y == 1].mean() > 0.9 and predicted[y == 0].mean() < 0.1
    assert average_precision(y, cross_validate(x, y, strength=1.0)) > 0.6  # out of fold, 17 positives


def test_average_precision_is_one_for_a_perfect_ranking_and_lower_otherwise():
    y = np.array([1, 0, 1, 0])
    assert average_precision(y, np.array([0.9, 0.1, 0.8, 0.2])) == pytest.approx(1.0)
    assert average_precision(y, np.array([0.1, 0.9, 0.8, 0.2])) == pytest.approx((1 / 2 + 2 / 4) / 2)


def test_the_label_table_names_known_concepts_and_refuses_others(tmp_path):
    labels = read_labels()
    assert len(labels) > 300 and {"人", "树", "雪", "城市", "田野"} == {
        c for cs in labels.values() for c in cs
    }
    bad = tmp_path / "labels.tsv"
    bad.write_text("filename\tconcepts\nn0_x.JPEG\t火星\n", encoding="utf-8")
    with pytest.raises(DataError, match="火星"):
        read_labels(bad)
