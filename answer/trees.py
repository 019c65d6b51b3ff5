"""Gradient-boosted trees read from a small JSON file and evaluated with numpy.

The answer's two learned choices (answer.features: which units answer, whether the
passages answer at all) are LightGBM models trained by `python -m training.answers`.
LightGBM is needed to train them, not to use them: the training writes each model's
trees as plain arrays, and this module evaluates them, so answering imports neither
LightGBM nor its OpenMP runtime (whose idle threads spin on the cores the page, the
API and an ingest share), and a model is a file anyone can read.

    {"format": 1, "name": …, "features": [names], "trees": [{"feature": [...],
     "threshold": [...], "left": [...], "right": [...], "value": [...]}], …}

In each tree, node 0 is the root; an inner node sends a row left when its feature is
<= the threshold (LightGBM's numerical split); a leaf has feature -1 and its value.
A row's score is the sum of its leaves, its probability the logistic of that sum.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FORMAT = 1


@dataclass(frozen=True)
class Trees:
    name: str
    features: list[str]
    feature: np.ndarray  # (trees, nodes) int32, -1 at a leaf
    threshold: np.ndarray  # (trees, nodes) float64
    left: np.ndarray  # (trees, nodes) int32
    right: np.ndarray
    value: np.ndarray  # (trees, nodes) float64, a leaf's value
    depth: int
    meta: dict = field(default_factory=dict)  # how it was trained, its threshold…

    def score(self, rows: np.ndarray) -> np.ndarray:
        """The raw score (log-odds) of each row of a (rows, features) matrix."""
        rows = np.asarray(rows, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != len(self.features):
            raise ValueError(f"{self.name}: expected rows of {len(self.features)} features")
        count, trees = len(rows), len(self.feature)
        node = np.zeros((count, trees), dtype=np.int64)
        tree = np.arange(trees)[None, :]
        for _ in range(self.depth):
            feature = self.feature[tree, node]
            inner = feature >= 0
            if not inner.any():
                break
            values = np.take_along_axis(rows, np.maximum(feature, 0), axis=1)
            go_left = values <= self.threshold[tree, node]
            step = np.where(go_left, self.left[tree, node], self.right[tree, node])
            node = np.where(inner, step, node)
        return self.value[tree, node].sum(axis=1)

    def probability(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.score(rows)))


def load(path: Path) -> Trees:
    """Read a model file (OSError, ValueError or KeyError if it is damaged)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a trees file of format {FORMAT}")
    trees = data["trees"]
    width = max(len(t["feature"]) for t in trees)

    def stack(key: str, dtype, fill) -> np.ndarray:
        out = np.full((len(trees), width), fill, dtype=dtype)
        for i, tree in enumerate(trees):
            out[i, :len(tree[key])] = tree[key]
        return out

    return Trees(data["name"], list(data["features"]), stack("feature", np.int32, -1),
                 stack("threshold", np.float64, 0.0), stack("left", np.int32, 0),
                 stack("right", np.int32, 0), stack("value", np.float64, 0.0),
                 int(data["depth"]), data.get("meta", {}))


def from_lightgbm(booster, name: str, meta: dict | None = None) -> dict:
    """A trained LightGBM booster as the JSON of a model file (numerical splits only)."""
    dump = booster.dump_model()
    trees, depth = [], 1
    for info in dump["tree_info"]:
        nodes = {"feature": [], "threshold": [], "left": [], "right": [], "value": []}
        depth = max(depth, _flatten(info["tree_structure"], nodes, 1))
        trees.append(nodes)
    return {"format": FORMAT, "name": name, "features": list(dump["feature_names"]),
            "depth": depth, "trees": trees, "meta": meta or {}}


def _flatten(node: dict, nodes: dict, level: int) -> int:
    """Append `node` and its subtree to the flat arrays `nodes`; the subtree's depth."""
    at = len(nodes["feature"])
    for key in nodes:
        nodes[key].append(0)
    if "leaf_value" in node or "split_feature" not in node:
        nodes["feature"][at] = -1
        nodes["value"][at] = float(node.get("leaf_value", 0.0))
        return level
    if node.get("decision_type", "<=") != "<=":
        raise ValueError("only numerical splits are supported")
    nodes["feature"][at] = int(node["split_feature"])
    nodes["threshold"][at] = float(node["threshold"])
    nodes["left"][at] = len(nodes["feature"])
    deep = _flatten(node["left_child"], nodes, level + 1)
    nodes["right"][at] = len(nodes["feature"])
    return max(deep, _flatten(node["right_child"], nodes, level + 1))
