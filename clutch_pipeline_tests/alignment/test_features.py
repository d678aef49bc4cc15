"""The feature formulas on hand-made frames, with values computed by hand (alignment/features.py)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from clutch_pipeline.alignment.features import (
    FEATURE_NAMES,
    SUMMARY_COLUMNS,
    feature_table,
    player_features,
)
from clutch_pipeline.project import project_file

D = date(2022, 12, 1)  # the as-of date of most tests
SEASON_START = date(2022, 10, 18)


def before(n: int) -> date:
    return D - timedelta(days=n)


def summaries(rows: list[dict]) -> pd.DataFrame:
    """Summary rows of player "p" (or the row's own player): {"day": n days before D, column: value}."""
    frame = pd.DataFrame(
        [
            {"player_id": r.get("player", "p"), "summary_date": before(r["day"])}
            | {c: r.get(c, np.nan) for c in SUMMARY_COLUMNS}
            for r in rows
        ],
        columns=["player_id", "summary_date", *SUMMARY_COLUMNS],
    )
    return frame


def scores(rows: list[tuple[int, float, bool]]) -> pd.DataFrame:
    """(days before D, clutch score, had wearables) of player "p"."""
    return pd.DataFrame(
        [("p", before(n), s, w) for n, s, w in rows],
        columns=["player_id", "game_date", "clutch_score", "has_wearables_data"],
    )


NO_SCORES = scores([])


def compute(summary_rows=(), score_frame=NO_SCORES, as_of=(D,), season_start=SEASON_START) -> pd.DataFrame:
    points = pd.DataFrame({"player_id": "p", "as_of_date": list(as_of)})
    return player_features(summaries(list(summary_rows)), score_frame, points, season_start)


def value(rows: pd.DataFrame, name: str, as_of: date = D) -> float | None:
    hit = rows[(rows["feature_name"] == name) & (rows["as_of_date"] == pd.Timestamp(as_of))]
    assert len(hit) <= 1
    return None if hit.empty else float(hit["feature_value"].iloc[0])


def test_hrv_avg_last_7_days_is_the_mean_of_the_seven_days_before_the_date():
    rows = [{"day": n, "hrv_rmssd_avg": v} for n, v in ((1, 60), (2, 70), (7, 80), (8, 500), (0, 500))]

    assert value(compute(rows), "hrv_avg_last_7_days") == pytest.approx(70.0)


def test_hrv_avg_last_7_days_needs_three_days():
    rows = [{"day": n, "hrv_rmssd_avg": 60} for n in (1, 2)]

    assert value(compute(rows), "hrv_avg_last_7_days") is None


def test_hrv_trend_slope_is_the_least_squares_slope_in_ms_per_day():
    # days D-10..D-1 (x = 0..9): 50 + 2x, plus +1 / -1 alternating; by hand: 2 + (-5) / 82.5 = 2 - 2/33
    rows = [{"day": 10 - x, "hrv_rmssd_avg": 50 + 2 * x + (-1) ** x} for x in range(10)]

    assert value(compute(rows), "hrv_trend_slope") == pytest.approx(2 - 2 / 33)


def test_hrv_trend_slope_reads_only_the_last_30_days():
    rows = [{"day": n, "hrv_rmssd_avg": 70 - n} for n in range(1, 31)] + [{"day": 31, "hrv_rmssd_avg": 0}]

    assert value(compute(rows), "hrv_trend_slope") == pytest.approx(1.0)


def test_hrv_trend_slope_needs_ten_days():
    rows = [{"day": n, "hrv_rmssd_avg": 70 - n} for n in range(1, 10)]

    assert value(compute(rows), "hrv_trend_slope") is None


def test_hrv_delta_pregame_vs_baseline_is_the_mean_deviation_of_the_last_7_days():
    rows = [{"day": n, "hrv_baseline_deviation": v} for n, v in ((1, -10), (3, 4), (6, 0), (9, 99))]

    assert value(compute(rows), "hrv_delta_pregame_vs_baseline") == pytest.approx(-2.0)


def test_recovery_score_avg_starts_at_the_seasons_first_game():
    rows = [{"day": n, "recovery_score": v} for n, v in ((1, 60), (2, 70), (3, 80), (30, 10))]

    computed = compute(rows, season_start=before(29))

    assert value(computed, "recovery_score_avg") == pytest.approx(70.0)


def test_sleep_quality_variance_is_the_sample_variance_of_14_nights():
    rows = [
        {"day": n, "sleep_performance_score": v}
        for n, v in zip((1, 3, 5, 7, 14, 15), (70, 80, 90, 80, 80, 0), strict=True)
    ]

    # mean 80, squared deviations 100 + 0 + 100 + 0 + 0 = 200, over n - 1 = 4
    assert value(compute(rows), "sleep_quality_variance") == pytest.approx(50.0)


def test_sleep_quality_variance_needs_five_nights():
    rows = [{"day": n, "sleep_performance_score": 80 + n} for n in (1, 2, 3, 4)]

    assert value(compute(rows), "sleep_quality_variance") is None


def test_strain_vs_recovery_ratio_pairs_each_days_strain_with_its_recovery():
    rows = [{"day": n, "day_strain": 14, "recovery_score": 50} for n in range(1, 8)]
    rows += [{"day": 8, "day_strain": 21}, {"day": 9, "recovery_score": 1}]  # unpaired: not counted

    # 7 x 14 / (7 x 50 x 21/100) = 14 / 10.5
    assert value(compute(rows), "strain_vs_recovery_ratio") == pytest.approx(4 / 3)


def test_strain_vs_recovery_ratio_needs_seven_paired_days():
    rows = [{"day": n, "day_strain": 14, "recovery_score": 50} for n in range(1, 7)]

    assert value(compute(rows), "strain_vs_recovery_ratio") is None


def test_fatigue_index_is_the_last_weeks_strain_over_the_last_four_weeks():
    rows = [{"day": n, "day_strain": 16 if n <= 7 else 10} for n in range(1, 29)]
    rows.append({"day": 29, "day_strain": 21})  # before the 28 days

    # acute 16; chronic (7 x 16 + 21 x 10) / 28 = 11.5
    assert value(compute(rows), "fatigue_index") == pytest.approx(16 / 11.5)


def test_fatigue_index_needs_fourteen_days_of_the_four_weeks():
    rows = [{"day": n, "day_strain": 12} for n in range(1, 14)]

    assert value(compute(rows), "fatigue_index") is None


def test_clutch_scores_split_by_wearables_over_the_season_before_the_date():
    games = scores([(1, 80, True), (3, 60, True), (5, 70, True), (2, 40, False), (4, 50, False),
                    (6, 60, False), (0, 0, True), (0, 0, False)])  # fmt: skip

    computed = compute(score_frame=games)

    assert value(computed, "clutch_score_with_wearables") == pytest.approx(70.0)
    assert value(computed, "clutch_score_without_wearables") == pytest.approx(50.0)


def test_clutch_scores_need_three_games():
    games = scores([(1, 80, True), (3, 60, True), (2, 40, False), (4, 50, False)])

    computed = compute(score_frame=games)

    assert computed.empty


def test_the_score_without_wearables_uses_wearables_only_once_a_game_had_them():
    games = scores([(10, 40, False), (9, 50, False), (8, 60, False), (5, 70, True)])

    computed = compute(score_frame=games, as_of=(before(6), D))
    without = computed[computed["feature_name"] == "clutch_score_without_wearables"]

    assert without.set_index("as_of_date")["uses_wearables"].to_dict() == {
        pd.Timestamp(before(6)): False,
        pd.Timestamp(D): True,
    }


def test_two_devices_on_one_day_count_as_one_day_at_their_mean():
    rows = [{"day": 1, "hrv_rmssd_avg": 60}, {"day": 1, "hrv_rmssd_avg": 80}, {"day": 2, "hrv_rmssd_avg": 40}]
    rows.append({"day": 3, "hrv_rmssd_avg": 40})

    # days: 70, 40, 40 (three days, not four rows)
    assert value(compute(rows), "hrv_avg_last_7_days") == pytest.approx(50.0)


def test_a_player_with_no_rows_gets_no_features():
    assert compute().empty


def _naive(summary: pd.DataFrame, player: str, day: date) -> dict[str, float]:
    """The 7- and 14-day features by plain filtering, one point at a time (the reference)."""
    mine = summary[(summary["player_id"] == player) & (summary["summary_date"] < day)]
    last = {n: mine[mine["summary_date"] >= day - timedelta(days=n)] for n in (7, 14)}
    hrv, sleep = last[7]["hrv_rmssd_avg"].dropna(), last[14]["sleep_performance_score"].dropna()
    out = {}
    if len(hrv) >= 3:
        out["hrv_avg_last_7_days"] = hrv.mean()
    if len(sleep) >= 5:
        out["sleep_quality_variance"] = sleep.var(ddof=1)
    return out


def test_the_vectorized_windows_agree_with_a_point_by_point_reference():
    rng = np.random.default_rng(7)
    first = date(2022, 9, 1)
    rows = [
        {"player_id": f"p{p}", "summary_date": first + timedelta(days=int(d))}
        | {c: (np.nan if rng.random() < 0.3 else float(rng.integers(20, 100))) for c in SUMMARY_COLUMNS}
        for p in range(6)
        for d in rng.choice(90, size=60, replace=False)
    ]
    frame = pd.DataFrame(rows)
    points = pd.DataFrame(
        [(f"p{p}", first + timedelta(days=int(d))) for p in range(6) for d in rng.choice(90, 20)],
        columns=["player_id", "as_of_date"],
    ).drop_duplicates()

    computed = player_features(frame, scores([]), points, first)

    got = {(r.entity_id, r.as_of_date.date(), r.feature_name): r.feature_value for r in computed.itertuples()}
    for player, day in points.itertuples(index=False):
        for name, expected in _naive(frame, player, day).items():
            assert got.pop((player, day, name)) == pytest.approx(expected)
    assert not [k for k in got if k[2] in ("hrv_avg_last_7_days", "sleep_quality_variance")]


def test_every_feature_has_its_name_in_the_output_vocabulary():
    games = scores([(n, 50, n % 2 == 0) for n in range(1, 9)])
    rows = [{"day": n} | {c: 50.0 for c in SUMMARY_COLUMNS} for n in range(1, 31)]

    assert set(compute(rows, games)["feature_name"]) == set(FEATURE_NAMES)


def test_the_docs_page_shows_the_table_the_code_generates():
    assert feature_table() in (project_file("README.md").parent / "docs" / "features.md").read_text()
