"""Fixture files are read a chunk at a time (``read_entries``): whatever the size of the chunks, the
records, their lines and every syntax error's line and column are those of the whole file."""

import json

import pytest

from tracker.importers import fixtures
from tracker.importers.fixtures import FixtureSyntaxError, dumps, fixture_paths, read_entries

MALFORMED = {
    "a missing comma in a record": '[\n  {"model": "tracker.organization",\n   "fields": {"slug": "x",}}\n]\n',
    "not a list": '{"model": "tracker.organization"}\n',
    "a trailing comma": '[\n  {"model": "a"},\n  {"model": "b"},\n]\n',
    "a string never closed": '[\n  {"model": "tracker.organization", "fields": {"name_en": "華為技術有限公\n',
    "two records without a comma": '[\n  {"model": "a"}\n  {"model": "b"}\n]\n',
    "a list never closed": '[\n  {"model": "a"},\n  {"model": "b"}\n',
    "a number cut at the end": "[\n  1,\n  23",
    "text after the list": '[\n  {"model": "a"}\n]\n  [] \n',
    "Windows line ends": '[\r\n  {"model": "a"},\r\n  {"model": "b" "c"}\r\n]\r\n',
    "an invalid escape": '[\n  {"model": "\\q"}\n]\n',
}


def read(path, chunk, monkeypatch):
    """(line, index, data) of each record, then the error's (line, column, message) or None."""
    monkeypatch.setattr(fixtures._Window, "CHUNK", chunk)
    records = []
    try:
        for entry in read_entries(path):
            records.append((entry.line, entry.index, entry.data))
    except FixtureSyntaxError as error:
        problem = error.problem
        return records, (problem.line, problem.column, str(problem.message))
    return records, None


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_the_shipped_files_read_in_small_chunks_as_whole(chunk, monkeypatch):
    for path in fixture_paths():
        whole = read(path, 1 << 30, monkeypatch)
        assert read(path, chunk, monkeypatch) == whole
        records, error = whole
        assert error is None
        assert [data for _, _, data in records] == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_syntax_error_is_placed_the_same_whatever_the_chunks(name, tmp_path, monkeypatch):
    path = tmp_path / "broken.json"
    path.write_bytes(MALFORMED[name].encode("utf-8"))
    whole = read(path, 1 << 30, monkeypatch)
    assert whole[1] is not None, "each sample is malformed"
    for chunk in (1, 2, 3, 5, 8, 13):
        assert read(path, chunk, monkeypatch) == whole, chunk


def test_the_error_is_where_the_file_breaks(tmp_path, monkeypatch):
    path = tmp_path / "broken.json"
    path.write_text(MALFORMED["two records without a comma"], encoding="utf-8")
    records, error = read(path, 3, monkeypatch)
    assert records == [(2, 0, {"model": "a"})]
    assert error == (3, 3, "malformed JSON: Expecting ',' delimiter.")


def test_a_long_file_is_not_held_whole(tmp_path, monkeypatch):
    records = [
        {"model": "tracker.organization", "fields": {"slug": f"body-{n}", "name_en": "x" * 50}} for n in range(2000)
    ]
    path = tmp_path / "long.json"
    path.write_text(dumps(records), encoding="utf-8")
    monkeypatch.setattr(fixtures._Window, "CHUNK", 4096)
    longest = 0
    original = fixtures._Window.decode

    def decode(window, position):
        nonlocal longest
        longest = max(longest, len(window.text))
        return original(window, position)

    monkeypatch.setattr(fixtures._Window, "decode", decode)
    assert [entry.data for entry in read_entries(path)] == records
    assert path.stat().st_size > 40 * 4096
    assert longest <= 3 * 4096
