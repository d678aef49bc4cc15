"""Local archives: folders and tarballs of play-by-play, mended by a manifest."""

import io
import json
import tarfile
from datetime import date

import pytest

from clutch_pipeline.nba.archive import (
    SAMPLE_ARCHIVE,
    ArchiveError,
    PlayByPlayArchive,
    manifest_text,
    parse_manifest,
)

from .actions import made

MANIFEST = """file,nominal_game_id,actual_game_id,game_date
G1.json,0022200011,0022200012,2022-10-19
G2.json,0022200012,0022200013,2022-10-19
G3.json,0022200013,0022200013,2022-10-19
"""


def _tar(path, files: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:xz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"crawl/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _game(home: int) -> bytes:
    return json.dumps([made(1, home=home, away=0)]).encode()


def test_the_manifest_maps_misnamed_files_and_skips_repeats():
    entries, repeats = parse_manifest(MANIFEST)

    assert [(e.file, e.game_id) for e in entries] == [("G1.json", "0022200012"), ("G2.json", "0022200013")]
    assert entries[0].game_date == date(2022, 10, 19)
    assert repeats == ["G3.json"]


def test_a_manifest_without_the_needed_columns_is_refused():
    with pytest.raises(ArchiveError, match="'file' and 'actual_game_id'"):
        parse_manifest("name,id\nG1.json,0022200001\n")


def test_a_tarball_with_its_own_manifest_is_read_in_one_pass(tmp_path):
    _tar(
        tmp_path / "a.tar.xz",
        {"MANIFEST.csv": MANIFEST.encode(), "G1.json": _game(2), "G2.json": _game(3), "G3.json": _game(3)},
    )
    archive = PlayByPlayArchive(tmp_path / "a.tar.xz")

    games = {g.entry.game_id: g for g in archive.read(archive.game_ids())}

    assert sorted(games) == ["0022200012", "0022200013"]
    assert games["0022200012"].payload[0]["scoreHome"] == "2"
    assert games["0022200012"].content_sha256


def test_an_archive_opened_again_takes_the_manifest_its_first_reader_found(tmp_path):
    _tar(tmp_path / "a.tar.xz", {"MANIFEST.csv": MANIFEST.encode(), "G1.json": _game(2), "G2.json": _game(3)})
    first = PlayByPlayArchive(tmp_path / "a.tar.xz")
    _tar(tmp_path / "a.tar.xz", {"G1.json": _game(2), "G2.json": _game(3)})  # its own manifest gone

    again = PlayByPlayArchive(tmp_path / "a.tar.xz", manifest_csv=manifest_text(first.entries))

    assert again.entries == first.entries
    assert [g.entry.game_id for g in again.read(again.game_ids())] == ["0022200012", "0022200013"]


def test_a_folder_with_a_separate_manifest_is_read(tmp_path):
    (tmp_path / "G1.json").write_bytes(_game(2))
    (tmp_path / "G2.json").write_bytes(_game(3))
    manifest = tmp_path / "listing.csv"
    manifest.write_text(MANIFEST)

    archive = PlayByPlayArchive(tmp_path, manifest)

    assert [g.entry.file for g in archive.read(["0022200013"])] == ["G2.json"]


def test_a_truncated_file_is_reported_not_raised(tmp_path):
    _tar(
        tmp_path / "a.tar.xz",
        {"MANIFEST.csv": MANIFEST.encode(), "G1.json": _game(2)[:-7], "G2.json": _game(3)},
    )
    archive = PlayByPlayArchive(tmp_path / "a.tar.xz")

    games = {g.entry.game_id: g for g in archive.read(archive.game_ids())}

    assert games["0022200012"].payload is None
    assert "not valid JSON" in games["0022200012"].error
    assert games["0022200013"].error is None


def test_a_file_listed_but_absent_is_reported(tmp_path):
    _tar(tmp_path / "a.tar.xz", {"MANIFEST.csv": MANIFEST.encode(), "G1.json": _game(2)})
    archive = PlayByPlayArchive(tmp_path / "a.tar.xz")

    games = {g.entry.game_id: g for g in archive.read(archive.game_ids())}

    assert "not in the archive" in games["0022200013"].error


def test_games_the_manifest_does_not_list_are_left_to_other_sources(tmp_path):
    _tar(tmp_path / "a.tar.xz", {"MANIFEST.csv": MANIFEST.encode(), "G1.json": _game(2)})
    archive = PlayByPlayArchive(tmp_path / "a.tar.xz")

    assert list(archive.read(["0022200999"])) == []


def test_an_archive_without_a_manifest_is_refused(tmp_path):
    _tar(tmp_path / "a.tar.xz", {"G1.json": _game(2)})

    with pytest.raises(ArchiveError, match="give a manifest"):
        PlayByPlayArchive(tmp_path / "a.tar.xz")


def test_a_corrupt_tarball_is_an_archive_error(tmp_path):
    (tmp_path / "a.tar.xz").write_bytes(b"\xfd7zXZ\x00 not really")

    with pytest.raises(ArchiveError, match="unreadable archive"):
        PlayByPlayArchive(tmp_path / "a.tar.xz")


def test_the_bundled_sample_holds_39_games_of_2022_23():
    archive = PlayByPlayArchive(SAMPLE_ARCHIVE)

    assert len(archive.game_ids()) == 39
    assert "0022200011" not in archive.game_ids()
    assert archive.repeats == ["S2223-G0013.json"]
