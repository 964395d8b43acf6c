"""Multinomial logistic regression over standardised features, evaluated in pure Python.

The weights come from tools/train_reference_model.py (scikit-learn, a development tool only).
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path

WEIGHTS_FILE = Path(__file__).with_name("weights.json")


@dataclass(frozen=True)
class IrisModel:
    features: tuple[str, ...]
    classes: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[tuple[float, ...], ...]
    intercept: tuple[float, ...]

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> "IrisModel":
        raw = json.loads(path.read_text())
        return cls(
            features=tuple(raw["features"]),
            classes=tuple(raw["classes"]),
            mean=tuple(raw["mean"]),
            scale=tuple(raw["scale"]),
            coef=tuple(tuple(row) for row in raw["coef"]),
            intercept=tuple(raw["intercept"]),
        )

    def probabilities(self, instance: list[float]) -> dict[str, float]:
        standardised = [(x - m) / s for x, m, s in zip(instance, self.mean, self.scale, strict=True)]
        scores = [
            bias + sum(w * x for w, x in zip(row, standardised, strict=True))
            for row, bias in zip(self.coef, self.intercept, strict=True)
        ]
        top = max(scores)
        exps = [math.exp(score - top) for score in scores]
        total = sum(exps)
        return {name: e / total for name, e in zip(self.classes, exps, strict=True)}

    def predict(self, instance: list[float]) -> dict:
        probabilities = self.probabilities(instance)
        label = max(probabilities, key=probabilities.__getitem__)
        return {"label": label, "probabilities": {k: round(v, 6) for k, v in probabilities.items()}}
