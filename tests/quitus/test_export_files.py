"""Exports are written as a person's data deserves: mode 0600 whatever the umask, atomically,
through a name nobody can predict (a symlink planted at the old ``.part`` name is not followed);
``-`` is standard output or input."""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from quitus.export_files import EXPORT_MODE, read_input, write_export, write_output


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("umask_022")
def test_an_export_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "RI-1.pdf"
    write_export(target, b"%PDF-1.7 sealed")
    assert stat.S_IMODE(target.stat().st_mode) == EXPORT_MODE == 0o600
    assert target.read_bytes() == b"%PDF-1.7 sealed"
    target.chmod(0o644)  # an older export, readable by all: replaced by a private one
    write_export(target, b"again")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and target.read_bytes() == b"again"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RI-1.pdf"]  # no temporary left


@pytest.mark.usefixtures("umask_022")
def test_a_symlink_at_the_old_predictable_name_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"untouched")
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "proof.zip.part").symlink_to(victim)  # planted by another user of the folder
    write_export(exports / "proof.zip", b"PK bundle")
    assert victim.read_bytes() == b"untouched"
    assert (exports / "proof.zip").read_bytes() == b"PK bundle"
    assert not (exports / "proof.zip").is_symlink()


def test_a_symlink_at_the_target_is_replaced_not_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"untouched")
    (tmp_path / "out.pdf").symlink_to(victim)
    write_export(tmp_path / "out.pdf", b"data")
    assert victim.read_bytes() == b"untouched" and not (tmp_path / "out.pdf").is_symlink()


def test_a_failed_write_leaves_the_target_as_it_was(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_export(tmp_path / "missing" / "out.pdf", b"data")
    target = tmp_path / "out.pdf"
    target.write_bytes(b"before")

    with pytest.raises(TypeError):
        write_export(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pdf"]


def test_dash_is_standard_output_and_input(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out))
    assert write_output("-", b"\x00binary") is True
    assert out.getvalue() == b"\x00binary"
    assert write_output(tmp_path / "f", b"x") is False and (tmp_path / "f").read_bytes() == b"x"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"abcdef")))
    assert read_input("-", limit=3) == b"abcd"  # limit + 1: the caller sees it is too long
