"""Can a classifier tell generated pieces from held-out ones? A classifier two-sample test
(Lopez-Paz and Oquab, "Revisiting classifier two-sample tests", ICLR 2017).

Each piece is a row of plain features (a melody's: :mod:`.melody_features`); a logistic regression
on the standardised features is scored by stratified k-fold cross-validation. An accuracy of 0.5
means the two groups cannot be told apart by these features; 1.0 that every piece gives itself
away. Under the hypothesis that both groups come from one distribution the accuracy over ``n``
pieces is about normal with mean 0.5 and variance 1/(4n), so ``z = (accuracy - 0.5) * 2 sqrt(n)``
says how far from chance it is. The features the fitted classifier leans on most (largest
standardised coefficients) are listed with each group's mean, so a user sees why.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from musiclstm.music.meter import bar_length, beat_length

FOLDS = 5
TOP_FEATURES = 8
# The features the form table shows, per meter, generated beside held-out.
FORM_FEATURES = ("exact_repeats", "moved_repeats", "rhythm_repeats", "motif_reuse", "upbeat")


def distinguishability(
    generated: list[dict[str, float]],
    held_out: list[dict[str, float]],
    folds: int = FOLDS,
    seed: int = 0,
) -> dict:
    """The cross-validated accuracy of telling ``generated`` from ``held_out`` (feature dicts
    with the same keys), its z against chance and the features that separate them most."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    names = list(held_out[0]) if held_out else list(generated[0]) if generated else []
    folds = min(folds, len(generated), len(held_out))
    if folds < 2:
        return {"accuracy": None, "reason": "fewer than two pieces in a group"}
    rows = np.array([[piece[name] for name in names] for piece in (*generated, *held_out)])
    labels = np.array([1] * len(generated) + [0] * len(held_out))

    def classifier():
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))

    splits = StratifiedKFold(folds, shuffle=True, random_state=seed)
    accuracy = float(cross_val_score(classifier(), rows, labels, cv=splits).mean())
    fitted = classifier().fit(rows, labels)
    weights = fitted[-1].coef_[0]
    order = np.argsort(-np.abs(weights))[:TOP_FEATURES]
    chance = majority_share(labels)
    return {
        "accuracy": accuracy,
        "chance": chance,
        "z": z_against_chance(accuracy, len(labels), chance),
        "pieces": {"generated": len(generated), "held_out": len(held_out)},
        "folds": folds,
        "classifier": "logistic regression on standardised features",
        "features": len(names),
        "separating_features": [
            {
                "feature": names[i],
                "weight": float(weights[i]),
                "generated_mean": float(rows[labels == 1, i].mean()),
                "held_out_mean": float(rows[labels == 0, i].mean()),
            }
            for i in order
        ],
    }


def majority_share(labels: np.ndarray) -> float:
    """The accuracy of always guessing the larger group: what "cannot tell" scores."""
    return float(max(labels.mean(), 1 - labels.mean()))


def z_against_chance(accuracy: float, n: int, chance: float = 0.5) -> float:
    """How many standard errors ``accuracy`` over ``n`` pieces lies above ``chance``."""
    return (accuracy - chance) / math.sqrt(chance * (1 - chance) / n)


def comparison_stats(
    texture,
    generated: list[tuple[list[str], str, int]],
    held_out: list[tuple[list[str], str, int]],
    time_step: float,
) -> dict:
    """The classifier two-sample test of ``generated`` against ``held_out`` (tokens, time
    signature, pickup) on the ``texture``'s features of each piece, and the form features per
    meter, each group's mean."""

    def features(pieces):
        return [
            texture.piece_features(
                tokens, bar_length(signature, time_step), pickup, beat_length(signature, time_step)
            )
            for tokens, signature, pickup in pieces
        ]

    ours, theirs = features(generated), features(held_out)
    return {
        **distinguishability(ours, theirs),
        "form_by_meter": form_by_meter(
            ours, [s for _, s, _ in generated], theirs, [s for _, s, _ in held_out]
        ),
    }


def form_by_meter(ours: list[dict], our_meters: list[str], theirs: list[dict], their_meters):
    """Per meter (and over all), the mean of each of :data:`FORM_FEATURES` in each group (a
    piece of several voices: its top voice's, ``top_...``)."""
    counts = Counter(their_meters)
    present = theirs[0] if theirs else {}
    keys = {name: key for name in FORM_FEATURES for key in (name, f"top_{name}") if key in present}
    table = {}
    for meter in [*sorted(counts, key=lambda m: -counts[m]), "all"]:

        def mean(rows, meters, name, meter=meter):
            values = [r[name] for r, m in zip(rows, meters, strict=True) if meter in ("all", m)]
            return float(np.mean(values)) if values else None

        table[meter] = {
            "songs": {
                "generated": sum(meter in ("all", m) for m in our_meters),
                "held_out": sum(meter in ("all", m) for m in their_meters),
            },
            **{
                name: {
                    "generated": mean(ours, our_meters, key),
                    "held_out": mean(theirs, their_meters, key),
                }
                for name, key in keys.items()
            },
        }
    return table
