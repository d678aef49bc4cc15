"""Shot quality: the expected points of a shot, from what the public play-by-play shows.

Why: points scored in the clutch mix shot-making with shot selection. ``expected_points`` is what an
average NBA shooter would score from the same shot that season, so ``points - expected_points`` (points
over expected) credits making hard shots and taking good ones apart. Defender distance, touch time and
shot clock exist in no public feed and are left out.

Inputs per field goal (``Shot``): value (2 or 3), location (``xLegacy``/``yLegacy``: tenths of feet
from the basket, x across the court, y toward half court; the baseline is y = -52.5) and the shot
distance, and a shot family from the source's ``subType`` and description.

Zones (``shot_zone``), decided by the value first, so every cell but ``heave`` holds one value:

    restricted_area  2, distance < 4 ft (the restricted-area arc)
    paint            2, in the lane (|x| <= 8 ft, y <= 13.75 ft: the free-throw line), not restricted
    mid_range        2, everything else
    corner_3         3, y <= 9.25 ft: the line runs straight, 22 ft out, to 8.75 ft past the basket,
                     and the NBA's shot charts end the corner at 9.25 ft
    above_break_3    3, y > 9.25 ft
    heave            3, distance >= 40 ft

The distance is taken from the location where it is given: the 2022-23 v3 archive reports
``shotDistance`` 0 for 13,376 threes, all of them corner threes (62% of those), while the location
is right.
Without a location, the distance alone decides where geometry allows it (2s under 4 ft, 2s from 16 ft:
the lane's farthest point is 15.9 ft away; 3s from 27 ft: the corner's farthest is 26.7 ft; heaves); the
rest have no zone and get the league rate of their value.

2022-23 (v3 archive, 217,026 field goals): restricted_area 64,910 FG 66.6%, paint 42,254 44.4%,
mid_range 25,760 42.1%, corner_3 21,440 38.6%, above_break_3 62,154 35.5% (the corner three is the
better three, as known), heave 508 4.5%. Free throws 45,213 / 57,837 = 78.2%.

Model (``ShotModel``): the make probability of each (zone, family) cell, shrunk toward its zone's rate
by empirical Bayes with a Beta prior of ``PRIOR_STRENGTH`` = 20 pseudo-attempts at the zone rate:
``p = (makes + k * p_zone) / (attempts + k)``. The zone rate is shrunk the same way toward the league
rate of its value, so a thin fit never predicts 0 or 1. On held-out 2022-23 games the log loss is flat
for k from 0 to 100 (a season's cells are big); k matters for thin fits. For the zone level, a crude
method-of-moments fit of a Beta to the three zone rates of each value gives k ~ 20 (2s) and ~ 7 (3s).
The cost: heaves (4.5% made) are pulled to 5.7% by the 3s' 36.1%. Unseen cells get the zone rate; shots
without a zone get the value's rate. Expected points = value * p; a free throw's = the league's
free-throw percentage (player-agnostic).

Storage (``to_rows`` / ``from_rows``), one tuple per row, ``ROW_COLUMNS``:

    zone text, family text, attempts int, makes int, probability double precision

    (zone, family, n, m, p)         a cell: p shrunk toward the zone
    (zone, "all", n, m, p)          a zone: p shrunk toward its value's rate
    ("all_2pt" | "all_3pt", "all")  the league rate per value (shots without a zone included)
    ("free_throw", "all", FTA, FTM, FT%)

Benchmark (``benchmarks/nba_shot_model.py``): fitted on the 615 even-numbered 2022-23 games (108,646
field goals), scored on the 614 odd ones (108,380):

    make probability                        log loss   Brier
    league rate per value                    0.6751    0.2411
    1-ft distance buckets x value            0.6513    0.2298   (0.6501 / 0.2293 on shotDistance,
                                                                   whose v3 zeros flag corner threes)
    zones only                               0.6573    0.2324
    zone x family, k = 20 (this module)      0.6411    0.2258   (k = 0 ... 100: 0.6410 ... 0.6413)

Calibration by predicted-probability decile: |mean predicted - made rate| <= 0.011 in every decile;
expected points of the test shots are 0.7% above the real ones (the halves shot slightly differently).
Time: fit 0.05 s on half a season, 0.13 s on all of it (217k shots); ``expected_points`` 0.25 s for
600k shots; ``action_expected_points`` (family read from the text too) 1.0 s for 600k actions.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from clutch_pipeline.nba.parse import SOURCE_V3, PlayAction

RESTRICTED_AREA_FEET = 4.0
HEAVE_FEET = 40.0
PAINT_HALF_WIDTH = 80.0  # legacy units (tenths of feet): the lane is 16 ft wide
PAINT_TOP = 137.5  # the free-throw line: 19 ft from the baseline, 13.75 ft past the basket
CORNER_TOP = 92.5  # the NBA's corner: the line is straight to 87.5 (14 ft from the baseline)
PAINT_FARTHEST_FEET = 16.0  # sqrt(8^2 + 13.75^2) = 15.9 ft
CORNER_FARTHEST_FEET = 27.0  # sqrt(25^2 + 9.25^2) = 26.7 ft

ZONES = ("restricted_area", "paint", "mid_range", "corner_3", "above_break_3", "heave")
ZONE_VALUE = {
    "restricted_area": 2,
    "paint": 2,
    "mid_range": 2,
    "corner_3": 3,
    "above_break_3": 3,
    "heave": 3,
}
FAMILIES = (
    "alley_oop_dunk",
    "putback_dunk",
    "driving_dunk",
    "dunk",
    "tip_layup",
    "putback_layup",
    "bank_hook",
    "hook",
    "bank_floater",
    "floater",
    "alley_oop_layup",
    "cutting_layup",
    "finger_roll_layup",
    "reverse_layup",
    "driving_layup",
    "running_layup",
    "layup",
    "bank_shot",
    "step_back_jump_shot",
    "pullup_jump_shot",
    "fadeaway_jump_shot",
    "turnaround_jump_shot",
    "running_jump_shot",
    "jump_shot",
    "other",
)
PRIOR_STRENGTH = 20.0

ALL = "all"
VALUE_ROW = {2: "all_2pt", 3: "all_3pt"}
FREE_THROW = "free_throw"
ROW_COLUMNS = ("zone", "family", "attempts", "makes", "probability")

Row = tuple[str, str, int, int, float]


@dataclass(frozen=True, slots=True)
class Shot:
    value: int  # 2 or 3
    distance_feet: float | None  # as the source gives it (see the module docstring on v3's zeros)
    x: float | None  # legacy units: tenths of feet from the basket
    y: float | None
    family: str  # one of FAMILIES
    made: bool

    def __post_init__(self) -> None:
        if self.value not in (2, 3):
            raise ValueError(f"a field goal is worth 2 or 3, not {self.value}")


# Descriptions also carry names, distances, points and the assist: "MISS K. Irving 25' pullup 3PT",
# "Mays 3PT Jump Shot (5 PTS) (Knox II 2 AST)". Only the shot's words are kept.
_PARENTHESES = re.compile(r"\([^()]*\)")
_NOISE = re.compile(r"\b(?:miss|3pt)\b|\S*\d\S*|[-']")


@lru_cache(maxsize=4096)
def _family_of_words(words: str) -> str:
    t = " ".join(words.replace("pull up", "pullup").split())
    if "dunk" in t:
        if "alley oop" in t:
            return "alley_oop_dunk"
        if "putback" in t or "tip" in t:
            return "putback_dunk"
        return "driving_dunk" if "driving" in t else "dunk"
    if "tip" in t:
        return "tip_layup"
    if "putback" in t:
        return "putback_layup"
    if "hook" in t:
        return "bank_hook" if "bank" in t else "hook"
    if "float" in t:
        return "bank_floater" if "bank" in t else "floater"
    if "layup" in t or "finger roll" in t:
        for needle, family in (
            ("alley oop", "alley_oop_layup"),
            ("cutting", "cutting_layup"),
            ("finger roll", "finger_roll_layup"),
            ("reverse", "reverse_layup"),
            ("driving", "driving_layup"),
            ("running", "running_layup"),
        ):
            if needle in t:
                return family
        return "layup"
    for needle, family in (
        ("bank", "bank_shot"),
        ("step back", "step_back_jump_shot"),
        ("pullup", "pullup_jump_shot"),
        ("fadeaway", "fadeaway_jump_shot"),
        ("turnaround", "turnaround_jump_shot"),
        ("running", "running_jump_shot"),
    ):
        if needle in t:
            return family
    return "jump_shot" if "jump" in t or "shot" in t else "other"


def shot_family(sub_type: str, description: str = "", player_name: str | None = None) -> str:
    """The shot's family (FAMILIES) from the source's words: v3 spells the whole shot in ``subType``
    ("Cutting Finger Roll Layup Shot"), so give it alone; CDN gives a coarse ``subType`` ("Layup") and
    the rest in the description ("S. Curry cutting Layup (4 PTS)"), so give both. The player's name
    is removed first, so that a surname cannot pass for a shot word."""
    if not description:
        return _family_of_words(sub_type.lower().replace("-", " "))
    text = _PARENTHESES.sub(" ", description)
    if player_name:
        text = text.replace(player_name, " ").replace(player_name.split(". ", 1)[-1], " ")
    return _family_of_words(_NOISE.sub(" ", f"{sub_type} {text}".lower().replace("-", " ")))


def shot_from_action(action: PlayAction) -> Shot | None:
    """The field goal of a parsed action (v3 or CDN); None for anything else."""
    if action.kind != "field_goal" or action.shot_value not in (2, 3):
        return None
    if action.source == SOURCE_V3 and action.sub_type:
        family = shot_family(action.sub_type)
    else:
        family = shot_family(action.sub_type, action.description, action.player_name)
    return Shot(
        value=action.shot_value,
        distance_feet=action.shot_distance,
        x=action.x,
        y=action.y,
        family=family,
        made=bool(action.made),
    )


def shot_zone(shot: Shot) -> str | None:
    """The shot's zone (ZONES), or None when neither location nor distance can tell."""
    x, y = shot.x, shot.y
    if x is not None and y is not None:
        distance = math.hypot(x, y) / 10.0
        if shot.value == 3:
            if distance >= HEAVE_FEET:
                return "heave"
            return "corner_3" if y <= CORNER_TOP else "above_break_3"
        if distance < RESTRICTED_AREA_FEET:
            return "restricted_area"
        return "paint" if abs(x) <= PAINT_HALF_WIDTH and y <= PAINT_TOP else "mid_range"
    distance = shot.distance_feet
    if distance is None:
        return None
    if shot.value == 3:
        if distance >= HEAVE_FEET:
            return "heave"
        return "above_break_3" if distance >= CORNER_FARTHEST_FEET else None  # 0 is v3's missing
    if distance < RESTRICTED_AREA_FEET:
        return "restricted_area"
    return "mid_range" if distance >= PAINT_FARTHEST_FEET else None


# (zone, family, value) -> [attempts, makes]: all the fit needs of a set of shots, and small.
ShotCounts = dict[tuple[str | None, str, int], list[int]]


def count_shots(shots: Iterable[Shot], into: ShotCounts | None = None) -> ShotCounts:
    """The shots' attempts and makes per (zone, family, value), added to ``into`` when given."""
    counts: ShotCounts = {} if into is None else into
    for shot in shots:
        key = (shot_zone(shot), shot.family, shot.value)
        tally = counts.get(key)
        if tally is None:
            tally = counts[key] = [0, 0]
        tally[0] += 1
        tally[1] += shot.made
    return counts


def add_counts(total: ShotCounts, counts: ShotCounts) -> ShotCounts:
    """Add ``counts`` into ``total`` (returned)."""
    for key, (attempts, makes) in counts.items():
        tally = total.get(key)
        if tally is None:
            tally = total[key] = [0, 0]
        tally[0] += attempts
        tally[1] += makes
    return total


@dataclass(frozen=True, slots=True)
class Cell:
    attempts: int
    makes: int
    probability: float


def _shrunk(makes: int, attempts: int, prior: float, strength: float) -> float:
    return (makes + strength * prior) / (attempts + strength)


@dataclass
class ShotModel:
    """Make probabilities per (zone, family) cell, zone and value, and the league's free-throw rate."""

    cells: dict[tuple[str, str], Cell]
    zones: dict[str, Cell]
    values: dict[int, Cell]  # 2 and 3, always both
    free_throw: Cell
    prior_strength: float = field(default=PRIOR_STRENGTH, compare=False)
    _cell_p: dict[tuple[str, str], float] = field(init=False, repr=False, compare=False)
    _zone_p: dict[str, float] = field(init=False, repr=False, compare=False)
    _value_p: dict[int, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._cell_p = {key: cell.probability for key, cell in self.cells.items()}
        self._zone_p = {zone: cell.probability for zone, cell in self.zones.items()}
        self._value_p = {value: cell.probability for value, cell in self.values.items()}

    @classmethod
    def fit(
        cls,
        shots: Iterable[Shot],
        free_throws_made: int,
        free_throws_attempted: int,
        *,
        prior_strength: float = PRIOR_STRENGTH,
    ) -> ShotModel:
        """Fit on all of a season's field goals (not only clutch ones) and its free-throw totals."""
        return cls.from_counts(
            count_shots(shots), free_throws_made, free_throws_attempted, prior_strength=prior_strength
        )

    @classmethod
    def from_counts(
        cls,
        counts: ShotCounts,
        free_throws_made: int,
        free_throws_attempted: int,
        *,
        prior_strength: float = PRIOR_STRENGTH,
    ) -> ShotModel:
        """``fit`` from the shots' counts (``count_shots``), which games counted apart can add up."""
        if free_throws_attempted <= 0 or not 0 <= free_throws_made <= free_throws_attempted:
            raise ValueError(f"free throws {free_throws_made}/{free_throws_attempted} are not a rate")
        value_tally = {2: [0, 0], 3: [0, 0]}
        zone_tally: dict[str, list[int]] = {}
        cell_tally: dict[tuple[str, str], list[int]] = {}
        for (zone, family, value), (attempts, makes) in counts.items():
            value_tally[value][0] += attempts
            value_tally[value][1] += makes
            if zone is None:
                continue
            for tally in (zone_tally.setdefault(zone, [0, 0]), cell_tally.setdefault((zone, family), [0, 0])):
                tally[0] += attempts
                tally[1] += makes
        total = sum(a for a, _ in value_tally.values())
        if total == 0:
            raise ValueError("no field goals to fit on")
        overall = sum(m for _, m in value_tally.values()) / total
        values = {
            value: Cell(attempts, makes, makes / attempts if attempts else overall)
            for value, (attempts, makes) in value_tally.items()
        }
        zones = {
            zone: Cell(
                attempts,
                makes,
                _shrunk(makes, attempts, values[ZONE_VALUE[zone]].probability, prior_strength),
            )
            for zone, (attempts, makes) in zone_tally.items()
        }
        cells = {
            (zone, family): Cell(
                attempts, makes, _shrunk(makes, attempts, zones[zone].probability, prior_strength)
            )
            for (zone, family), (attempts, makes) in cell_tally.items()
        }
        free_throw = Cell(free_throws_attempted, free_throws_made, free_throws_made / free_throws_attempted)
        return cls(cells, zones, values, free_throw, prior_strength)

    def probability(self, shot: Shot) -> float:
        """Make probability: the cell's, else the zone's, else the value's league rate."""
        zone = shot_zone(shot)
        if zone is not None:
            p = self._cell_p.get((zone, shot.family))
            if p is not None:
                return p
            p = self._zone_p.get(zone)
            if p is not None:
                return p
        return self._value_p[shot.value]

    def expected_points(self, shot: Shot) -> float:
        return shot.value * self.probability(shot)

    def free_throw_expected_points(self) -> float:
        return self.free_throw.probability

    def action_expected_points(self, action: PlayAction) -> float | None:
        """Expected points of a parsed field goal or free throw; None for other actions."""
        if action.kind == "free_throw":
            return self.free_throw.probability
        shot = shot_from_action(action)
        return None if shot is None else self.expected_points(shot)

    def zone_probability(self, zone: str) -> float | None:
        return self._zone_p.get(zone)

    def value_probability(self, value: int) -> float:
        return self._value_p[value]

    def to_rows(self) -> list[Row]:
        """Rows in the layout of ``ROW_COLUMNS`` (see the module docstring)."""
        rows: list[Row] = [
            (VALUE_ROW[value], ALL, cell.attempts, cell.makes, cell.probability)
            for value, cell in sorted(self.values.items())
        ]
        rows.append(
            (FREE_THROW, ALL, self.free_throw.attempts, self.free_throw.makes, self.free_throw.probability)
        )
        rows += [(zone, ALL, c.attempts, c.makes, c.probability) for zone, c in sorted(self.zones.items())]
        rows += [(z, f, c.attempts, c.makes, c.probability) for (z, f), c in sorted(self.cells.items())]
        return rows

    def version(self) -> str:
        """A digest of the model's rows: clutch rows record the model they were scored with, so that
        rows scored with another model (an older fit of their season) are found and scored again."""
        return hashlib.sha256(repr(self.to_rows()).encode()).hexdigest()[:16]

    @classmethod
    def from_rows(cls, rows: Iterable[Iterable]) -> ShotModel:
        """The model ``to_rows`` stored; probabilities are taken as stored, not refitted."""
        by_value_row = {name: value for value, name in VALUE_ROW.items()}
        cells: dict[tuple[str, str], Cell] = {}
        zones: dict[str, Cell] = {}
        values: dict[int, Cell] = {}
        free_throw = None
        for zone, family, attempts, makes, probability in rows:
            cell = Cell(int(attempts), int(makes), float(probability))
            if zone == FREE_THROW:
                free_throw = cell
            elif zone in by_value_row:
                values[by_value_row[zone]] = cell
            elif zone not in ZONE_VALUE:
                raise ValueError(f"unknown zone {zone!r} in a shot model row")
            elif family == ALL:
                zones[zone] = cell
            else:
                cells[(zone, family)] = cell
        if free_throw is None or set(values) != {2, 3}:
            raise ValueError("a shot model needs its free-throw row and both value rows")
        return cls(cells, zones, values, free_throw)
