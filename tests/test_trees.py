"""The learned models' file format (answer.trees): trees written from LightGBM and read back
with numpy give LightGBM's own predictions, and the shipped models load."""

from __future__ import annotations

import json

import numpy as np
import pytest

from answer import trees
from answer.compose import MODELS, load_models
from answer.features import QUESTION_FEATURES, UNIT_FEATURES


def test_numpy_evaluation_equals_lightgbm(tmp_path):
    lgb = pytest.importorskip("lightgbm", reason="lightgbm comes with the dev extra")
    rng = np.random.default_rng(7)
    x = rng.normal(size=(600, 5))
    y = ((x[:, 0] + x[:, 1] * x[:, 2] > 0.3) ^ (rng.random(600) < 0.1)).astype(int)
    booster = lgb.train({"objective": "binary", "num_leaves": 7, "verbose": -1, "seed": 1,
                         "deterministic": True, "num_threads": 1},
                        lgb.Dataset(x, y, feature_name=[f"f{i}" for i in range(5)]),
                        num_boost_round=40)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(trees.from_lightgbm(booster, "essai", {"threshold": 0.5})))
    model = trees.load(path)
    probe = rng.normal(size=(200, 5))
    assert model.features == [f"f{i}" for i in range(5)] and model.meta == {"threshold": 0.5}
    assert np.allclose(model.probability(probe), booster.predict(probe), atol=1e-9)


def test_a_row_of_the_wrong_width_is_refused(tmp_path):
    path = tmp_path / "stump.json"
    path.write_text(json.dumps({"format": 1, "name": "souche", "features": ["a", "b"],
                                "depth": 2, "trees": [{"feature": [0, -1, -1],
                                                       "threshold": [0.5, 0, 0],
                                                       "left": [1, 0, 0], "right": [2, 0, 0],
                                                       "value": [0, -1.0, 1.0]}]}))
    model = trees.load(path)
    assert model.score(np.array([[0.0, 9.0], [1.0, 9.0]])).tolist() == [-1.0, 1.0]
    with pytest.raises(ValueError, match="expected rows of 2 features"):
        model.score(np.zeros((1, 3)))


def test_the_shipped_models_read_the_features_the_code_computes():
    models = load_models(MODELS)
    assert models.units.features == UNIT_FEATURES
    assert models.gate.features == QUESTION_FEATURES
    assert 0 < models.threshold < 1 and 0 < models.more <= 1
    for model in (models.units, models.gate):
        assert model.meta["seed"] == 20 and model.meta["trained_on"]["questions"] > 10_000


def test_damaged_models_are_a_clear_error(tmp_path):
    from index.errors import IndexUnreadable

    (tmp_path / "units.json").write_text("{}")
    with pytest.raises(IndexUnreadable, match="modèles de réponse .* réinstallez l'outil"):
        load_models(tmp_path)
