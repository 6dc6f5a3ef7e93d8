import io

import pandas as pd

from longtail.recommend.evaluation.offline import EvaluationSettings, split_events
from longtail.recommend.evaluation.privacy_curve import CURVE_METRICS, EPSILONS, privacy_curve
from tests.fixtures import shop_history


def test_the_curve_has_the_exact_reference_and_every_epsilon_with_intervals():
    events = pd.read_csv(io.StringIO(shop_history()[0]))
    events["ts"] = pd.to_datetime(events["ts"], utc=True)
    data = split_events(events, EvaluationSettings()).build_matrices()
    curve = privacy_curve(data, delta=1e-6, max_items_per_user=5, n_draws=2)
    assert [row["epsilon"] for row in curve] == [None, *EPSILONS] == [None, 0.5, 1.0, 2.0, 4.0, 8.0]
    assert curve[0]["draws"] == 1 and all(row["draws"] == 2 for row in curve[1:])
    assert all(row["delta"] == 1e-6 and row["max_items_per_user"] == 5 for row in curve[1:])
    for row in curve:
        for metric in CURVE_METRICS:
            low, high = row[f"{metric}_ci95"]
            assert 0 <= low <= row[metric] <= high <= 1
