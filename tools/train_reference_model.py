"""Reproduce the reference model's weights from scikit-learn's bundled iris data.

scikit-learn is a development tool only: the Lambda handler evaluates the exported
weights in pure Python. Run with `make train` (installs scikit-learn into .venv).

Writes:
  program/ml_edge/reference_model/weights.json  the standardiser and logistic-regression weights
  tests/data/iris.csv                           the data set, so tests measure accuracy without scikit-learn
"""

import csv
import json
from pathlib import Path

from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "program" / "ml_edge" / "reference_model" / "weights.json"
DATA = ROOT / "tests" / "data" / "iris.csv"
DIGITS = 6


def main() -> None:
    iris = load_iris()
    scaler = StandardScaler().fit(iris.data)
    classifier = LogisticRegression(max_iter=1000, random_state=0).fit(scaler.transform(iris.data), iris.target)
    weights = {
        "model": "iris-logistic-regression",
        "features": ["sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"],
        "classes": [str(name) for name in iris.target_names],
        "mean": [round(float(v), DIGITS) for v in scaler.mean_],
        "scale": [round(float(v), DIGITS) for v in scaler.scale_],
        "coef": [[round(float(v), DIGITS) for v in row] for row in classifier.coef_],
        "intercept": [round(float(v), DIGITS) for v in classifier.intercept_],
    }
    WEIGHTS.write_text(json.dumps(weights, indent=2) + "\n")
    with DATA.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*weights["features"], "species"])
        for row, target in zip(iris.data, iris.target, strict=True):
            writer.writerow([*(float(v) for v in row), iris.target_names[target]])
    accuracy = classifier.score(scaler.transform(iris.data), iris.target)
    print(f"wrote {WEIGHTS.relative_to(ROOT)} and {DATA.relative_to(ROOT)}; training accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
