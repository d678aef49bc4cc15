"""Build stats-v3-shaped actions for tests, with only what each test cares about."""

from __future__ import annotations

HOME, AWAY = 1610612739, 1610612741


def v3(
    action_id: int,
    *,
    period: int = 4,
    clock: str = "PT04M00.00S",
    action_type: str = "Rebound",
    sub_type: str = "",
    description: str = "",
    team: int = HOME,
    person: int = 1628378,
    name: str = "D. Mitchell",
    home: int | None = None,
    away: int | None = None,
    shot_value: int | None = None,
) -> dict:
    action = {
        "actionNumber": action_id,
        "actionId": action_id,
        "clock": clock,
        "period": period,
        "teamId": team,
        "teamTricode": "CLE" if team == HOME else "CHI" if team == AWAY else "",
        "personId": person,
        "playerName": name.split(". ")[-1],
        "playerNameI": name,
        "xLegacy": 0,
        "yLegacy": 0,
        "shotDistance": 0,
        "shotResult": "",
        "isFieldGoal": 1 if action_type in ("Made Shot", "Missed Shot") else 0,
        "scoreHome": "" if home is None else str(home),
        "scoreAway": "" if away is None else str(away),
        "pointsTotal": 0,
        "location": "h" if team == HOME else "v" if team == AWAY else "",
        "description": description,
        "actionType": action_type,
        "subType": sub_type,
        "videoAvailable": 1,
    }
    if shot_value is not None:
        action["shotValue"] = shot_value
    return action


def made(
    action_id,
    *,
    team=HOME,
    home,
    away,
    clock="PT04M00.00S",
    period=4,
    value=2,
    person=1628378,
    name="D. Mitchell",
    assist: str | None = None,
) -> dict:
    description = f"{name.split('. ')[-1]} 10' Jump Shot ({value} PTS)" + (
        f" ({assist} 1 AST)" if assist else ""
    )
    if value == 3:
        description = description.replace("Jump Shot", "3PT Jump Shot")
    return v3(
        action_id,
        period=period,
        clock=clock,
        action_type="Made Shot",
        sub_type="Jump Shot",
        description=description,
        team=team,
        person=person,
        name=name,
        home=home,
        away=away,
        shot_value=value,
    )


def period_marker(action_id, *, period, start: bool, wall: str, home=None, away=None) -> dict:
    ordinal = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th"}.get(period, f"{period - 4}st OT")
    label = f"{'Start' if start else 'End'} of {ordinal}{' Period' if period <= 4 else ''} ({wall} EST)"
    return v3(
        action_id,
        period=period,
        clock="PT12M00.00S" if start and period <= 4 else "PT05M00.00S" if start else "PT00M00.00S",
        action_type="period",
        sub_type="start" if start else "end",
        description=label,
        team=0,
        person=0,
        name="",
        home=home,
        away=away,
    )
