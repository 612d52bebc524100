"""Files the tool writes are replaced all at once: a failure (a full disk, a failed rename, a
read-only folder) leaves the old file whole and no temporary file behind."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backprop_coach import atomic
from backprop_coach.atomic import write_atomic
from backprop_coach.cli import app
from tests.mounts import fill, read_only_folder, snapshot, tiny_tmpfs

OLD = "the old sheet, whole\n" * 100


def test_writes_new_files_with_the_usual_permissions(tmp_path: Path) -> None:
    mask = os.umask(0o027)
    try:
        write_atomic(tmp_path / "new.txt", "héllo\n")
    finally:
        os.umask(mask)
    assert (tmp_path / "new.txt").read_bytes() == "héllo\n".encode()
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.txt"]


def test_an_existing_file_keeps_its_permission_bits(tmp_path: Path) -> None:
    path = tmp_path / "sheet.html"
    path.write_text(OLD)
    path.chmod(0o604)
    write_atomic(path, b"new bytes")
    assert path.read_bytes() == b"new bytes"
    assert stat.S_IMODE(path.stat().st_mode) == 0o604


def test_a_link_stays_a_link_to_the_new_contents(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text(OLD)
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_a_failed_rename_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sheet.html"
    path.write_text(OLD)

    def refuse(src: object, dst: object) -> None:
        raise OSError(errno.EIO, "simulated failure")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(OSError, match="simulated"):
        write_atomic(path, "new contents")
    assert path.read_text() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sheet.html"]


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        write_atomic(tmp_path, "x")
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_folder_raises_and_leaves_nothing() -> None:
    def prepare(folder: Path) -> None:
        (folder / "sheet.txt").write_text(OLD)

    with read_only_folder(prepare) as folder:
        with pytest.raises(OSError):
            write_atomic(folder / "sheet.txt", "new")
        assert snapshot(folder) == {"sheet.txt": OLD.encode()}


def test_cheatsheet_to_a_full_disk_keeps_the_old_file_whole(runner: CliRunner) -> None:
    with tiny_tmpfs(1024) as mount:
        out = mount / "sheets.html"
        out.write_text(OLD)
        filler = fill(mount)
        result = runner.invoke(app, ["cheatsheet", "all", "--format", "html", "-o", str(out)])
        assert result.exit_code == 2, result.output
        assert "cannot write" in result.output and "no space left" in result.output
        assert out.read_text() == OLD
        assert sorted(p.name for p in mount.iterdir()) == ["filler", "sheets.html"]
        filler.unlink()
        assert runner.invoke(app, ["cheatsheet", "all", "--format", "html", "-o", str(out)]).exit_code == 0
        assert out.read_text().lower().startswith("<!doctype html>")


def test_cheatsheet_to_a_folder_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["cheatsheet", "backward", "--format", "markdown", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "cannot write" in result.output and "directory" in result.output


def test_trace_save_and_bank_new_write_through_it(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = tmp_path / "net.json"
    net.write_text("{}")
    calls: list[Path] = []
    real = atomic.write_atomic

    def spy(path: Path, data: str | bytes) -> None:
        calls.append(Path(path))
        real(path, data)

    monkeypatch.setattr(atomic, "write_atomic", spy)
    result = runner.invoke(app, ["trace", "--layers", "2,2,1", "--seed", "3", "--save", str(net)])
    assert result.exit_code == 0, result.output
    assert json.loads(net.read_text())["layers"]
    result = runner.invoke(app, ["bank", "new", "my-q", "--topic", "mine", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert calls == [net, tmp_path / "mine" / "my-q.toml"]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["mine", "my-q.toml", "net.json"]


def test_trace_save_that_fails_keeps_the_old_net_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = tmp_path / "net.json"
    net.write_text('{"old": true}')

    def refuse(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    result = runner.invoke(app, ["trace", "--layers", "2,2,1", "--seed", "3", "--save", str(net)])
    assert result.exit_code == 2
    assert "cannot write" in result.output and "no space left on device" in result.output
    assert net.read_text() == '{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]
