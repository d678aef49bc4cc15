"""The model's input contract: validation with clear errors, covariates without information dropped and
named, missing wearables never filled."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clutch_pipeline.model import simulate
from clutch_pipeline.model.data import WEARABLES, ModelInput, ModelInputError, design_of


def _frame(**changes) -> pd.DataFrame:
    frame = simulate.season(6, 4, seed=3, wearables_share=0.5).frame.copy()
    for column, value in changes.items():
        frame[column] = value
    return frame


def test_missing_columns_are_named():
    with pytest.raises(ModelInputError, match="missing columns: score_margin"):
        ModelInput.from_frame(_frame().drop(columns="score_margin"))


def test_a_repeated_player_game_is_refused():
    frame = _frame()
    frame.loc[1, ["player_id", "game_id"]] = frame.loc[0, ["player_id", "game_id"]].to_numpy()

    with pytest.raises(ModelInputError, match="one row per player-game"):
        ModelInput.from_frame(frame)


def test_a_score_outside_0_to_100_is_refused_with_its_csv_line():
    frame = _frame()
    frame.loc[2, "clutch_score"] = 140.0

    with pytest.raises(ModelInputError, match=r"clutch_score .* rows 4"):
        ModelInput.from_frame(frame)


def test_wearables_values_in_a_row_flagged_without_wearables_are_refused():
    frame = _frame()
    row = frame.index[~frame["has_wearables_data"]][0]
    frame.loc[row, "recovery_score_pregame"] = 70.0

    with pytest.raises(ModelInputError, match="has_wearables_data false"):
        ModelInput.from_frame(frame)


def test_a_constant_covariate_and_an_empty_one_are_dropped_and_named():
    data = ModelInput.from_frame(_frame(is_playoff=False, hrv_baseline_deviation=np.nan))

    dropped = design_of(data).scaling.dropped

    # Every row knows its days since the last game, so that value's missing indicator is constant too.
    assert dropped == {
        "is_playoff": "constant (0)",
        "hrv_baseline_deviation": "no values",
        "no_earlier_game": "constant (0)",
    }
    assert "is_playoff" not in design_of(data).scaling.names


def test_rows_without_wearables_carry_no_information_about_the_wearables_effects():
    data = simulate.season(30, 5, seed=4, wearables_share=0.5)
    design = design_of(data)
    wearing = design.wearables_used
    columns = [design.scaling.names.index(w) for w in WEARABLES]

    x, y = design.x, design.y
    assert np.all(x[~wearing][:, columns] == 0.0)
    np.testing.assert_allclose(
        (x.T @ x)[columns][:, columns], (x[wearing].T @ x[wearing])[columns][:, columns]
    )
    np.testing.assert_allclose((x.T @ y)[columns], (x[wearing].T @ y[wearing])[columns])


def test_the_csv_contract_reads_empty_wearables_cells_as_missing(tmp_path):
    path = tmp_path / "input.csv"
    simulate.season(5, 3, seed=2, wearables_share=0.4).frame.to_csv(path, index=False)

    data = ModelInput.from_csv(path)

    without = ~data.frame["has_wearables_data"]
    assert without.any()
    assert data.frame.loc[without, list(WEARABLES)].isna().all().all()


def test_a_first_game_without_days_since_the_last_one_gets_an_indicator_not_a_value():
    frame = _frame()
    frame.loc[:1, "days_since_last_game"] = None
    design = design_of(ModelInput.from_frame(frame))
    names = list(design.scaling.names)
    assert "no_earlier_game" in names
    rest = names.index("days_since_last_game")
    # The unknown rows sit at the covariate's mean (0 standardized); the indicator is on for them only.
    assert design.x[:2, rest].tolist() == [0.0, 0.0]
    indicator = design.x[:, names.index("no_earlier_game")]
    assert set(indicator[:2]) == {indicator.max()} and (indicator[2:] < indicator.max()).all()


def test_is_home_is_optional_a_csv_without_it_drops_the_covariate_and_names_why(tmp_path):
    path = tmp_path / "old.csv"
    _frame().drop(columns="is_home").to_csv(path, index=False)

    scaling = design_of(ModelInput.from_csv(path)).scaling

    assert "is_home" not in scaling.names and scaling.dropped["is_home"] == "no values"


def test_is_home_reads_true_and_false_and_refuses_an_empty_cell():
    frame = _frame()
    assert "is_home" in design_of(ModelInput.from_frame(frame.astype({"is_home": str}))).scaling.names
    frame["is_home"] = frame["is_home"].astype(object)
    frame.loc[3, "is_home"] = None

    with pytest.raises(ModelInputError, match="is_home is empty in 1 rows"):
        design_of(ModelInput.from_frame(frame))
