"""Writing files so that a reader sees the old one or the new one, never half of either.

Every output qygeo writes (reports, maps, exports, ``parks.geojson`` and its history)
goes to a temporary file beside it, is fsynced and checked, and only then renamed
over the output; several outputs are renamed only when all are good. The writer also
refuses what the running command reads (:func:`protect_inputs`), whatever name or link
an output took to get there.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from qygeo.errors import DataFileError
from qygeo.io.gdal_paths import gdal_safe_name


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write *text* to *path* atomically: temporary file, flush, fsync, rename.

    Readers see either the old file or the new one, never a partial write, and
    a failure leaves the old file untouched. Text is written as UTF-8 with the
    newlines given (no translation).
    """
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write *data* to *path* atomically (see :func:`atomic_write_files`).

    Raises
    ------
    DataFileError
        *path* cannot be written (not a file, read-only, no permission, disk full …).
    """
    def write(tmp: Path) -> None:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:
            fh.write(data)

    atomic_write_files({Path(path): write})


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise :class:`DataFileError` unless *path* may be written as an output file.

    A folder, a device (``/dev/full``, which a rename would replace) and a file
    whose mode forbids writing (``chmod 444``) are refused: a rename replaces a file
    whatever its mode (the folder's decides), so the file's own mode is checked
    here, by its bits as well as by ``os.access`` (root may write anything, yet a
    read-only mode still says "keep this"), and so is the mode of the nearest existing
    folder, where the file or its new folders would be made. So is a path whose nearest
    existing folder
    is a file (``OUT/maps`` a file, for ``OUT/maps/index.html``): it could not be created,
    and a command that checks its outputs first would else fail after writing some.
    """
    path = Path(path)
    above = next((p for p in path.parents if p.exists() or p.is_symlink()), None)
    if above is not None and not above.is_dir():
        raise DataFileError(path, f"cannot be written: {above} is not a folder")
    if above is not None:
        # The folder's own mode decides a rename: root may rename into a chmod 555 folder,
        # yet its mode says "keep this" as a file's does.
        folder_mode = above.stat().st_mode & 0o777
        if not folder_mode & 0o222 or not os.access(above, os.W_OK | os.X_OK):
            raise DataFileError(path, f"cannot be written: its folder {above} is read-only "
                                      f"(mode {folder_mode:04o}): make it writable or give "
                                      "another name")
    if path.is_dir():
        raise DataFileError(path, "is a folder: give a file name")
    if path.exists() and not path.is_file():
        raise DataFileError(path, "is not a regular file: give a file name")
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if not mode & 0o222 or not os.access(path, os.W_OK):
            raise DataFileError(path, f"is read-only (mode {mode:04o}): make it writable "
                                      "or give another name")


#: What the running command reads (real paths): :func:`atomic_write_files` writes none of
#: them, nor anything inside one, whatever name or link an output took to get there.
_INPUTS: list[Path] = []


def protect_inputs(*paths: str | os.PathLike[str] | None) -> None:
    """Mark *paths* (the data folder, a plots file, a config) as the running command's
    inputs until :func:`release_inputs`: no output may be written over or into them.

    A plots Shapefile's companions (``.dbf``, ``.shx``, ``.prj``, ``.cpg``) are its input
    as much as its ``.shp``.
    """
    for path in paths:
        if path is None:
            continue
        _INPUTS.append(Path(os.path.realpath(path)))
        if os.path.isdir(path):
            # A layer or attributes/ linked from elsewhere is read as much as the folder.
            for top, dirs, files in os.walk(path):
                for name in (*dirs, *files):
                    if os.path.islink(os.path.join(top, name)):
                        _INPUTS.append(Path(os.path.realpath(os.path.join(top, name))))


def release_inputs() -> None:
    """Forget what :func:`protect_inputs` marked (the command is done)."""
    _INPUTS.clear()


def _check_not_input(target: Path, shown: Path) -> None:
    for read in _INPUTS:
        companion = (read.suffix.lower() in (".shp", ".dbf") and target.parent == read.parent
                     and target.stem.lower() == read.stem.lower())
        if target == read or companion:
            raise DataFileError(shown, f"would overwrite {read}, which this command reads: "
                                       "write elsewhere")
        if read in target.parents:
            raise DataFileError(shown, f"would write into {read}, which this command reads: "
                                       "write elsewhere")


def atomic_write_files(writers: dict[Path, Callable[[Path], None]], *,
                       suffix: str = "") -> None:
    """Write several files all or none: temporary files, fsync, then renames.

    Each output's writer is given a temporary name beside it (same file system, so
    the rename is atomic), ``.NAME.PID.XXXXXXXX.tmp`` followed by *suffix* (GDAL picks
    a format by it); the temporary files a killed run left for the same output (their
    process gone) are removed first (:func:`remove_abandoned`). The writer creates that
    file and raises if what it wrote is
    not what was meant. Only when every writer has succeeded and every temporary
    file is fsynced are they renamed over their outputs, each keeping the mode of
    the file it replaces (else 0644); the folders are fsynced afterwards so the
    renames survive a power cut. A failure while writing or checking removes every
    temporary file and leaves every output as it was; its error names the output,
    never the temporary file. (The renames, in folders already checked, are not
    undone should a later one fail, and a kill in their few milliseconds leaves the
    earlier outputs new and the later ones old, with the later temporary files: the
    next write of those outputs replaces them all and removes the temporary files.)
    Outputs are checked by :func:`check_writable` before anything is written.

    Raises
    ------
    DataFileError
        An output cannot be written (not a file, read-only, no permission, disk full …).
    QygeoError
        As a writer raises it.
    """
    outputs = [Path(p) for p in writers]
    # An output that is a symbolic link (latest.csv → 2026/report.csv) is written
    # through, as parks.geojson is: the link stays, its target is replaced.
    real = {path: Path(os.path.realpath(path)) if path.is_symlink() else path
            for path in outputs}
    for path in outputs:
        check_writable(path)  # -o /dev/stdout: a link to a pipe, not a file
        check_writable(real[path])
        _check_not_input(Path(os.path.realpath(real[path])), path)
    if all(real[p] in _WRITING for p in outputs):
        # Each output is the temporary file of a batch writing now (a writer that writes
        # atomically itself): written in place; that batch checks and renames it, and
        # names its output in an error.
        for path, write in zip(outputs, writers.values(), strict=True):
            write(real[path])
        return
    temps: dict[Path, Path] = {}
    try:
        for path, write in zip(outputs, writers.values(), strict=True):
            target = real[path]
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                remove_abandoned(target)
                fd, name = tempfile.mkstemp(prefix=f".{_temp_part(target.name)}.{os.getpid()}.",
                                            suffix=".tmp" + suffix, dir=target.parent)
                os.close(fd)
                temps[path] = Path(name)
                os.unlink(name)  # the writer creates it (GDAL makes its files itself)
                _WRITING.add(temps[path])
                try:
                    write(temps[path])
                finally:
                    _WRITING.discard(temps[path])
                _fsync_file(temps[path])
                os.chmod(temps[path],
                         target.stat().st_mode & 0o777 if target.exists() else 0o644)
            except OSError as exc:
                raise DataFileError(path, f"cannot write: {exc.strerror or exc}") from exc
        for path in outputs:
            try:
                os.replace(temps.pop(path), real[path])
            except OSError as exc:
                raise DataFileError(path, f"cannot write: {exc.strerror or exc}") from exc
    finally:
        for tmp in temps.values():
            _remove_temporary(tmp)
    for folder in dict.fromkeys(real[p].parent for p in outputs):
        _fsync_dir(folder)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: The temporary files being written by a batch of :func:`atomic_write_files` now.
_WRITING: set[Path] = set()

#: Bytes a temporary name may add to its output's name: a dot, ".PID." (up to 10
#: digits), 8 random characters, ".tmp", a suffix for GDAL and SQLite's "-journal".
_TEMP_EXTRA = 1 + 12 + 8 + 4 + 8 + 8


def _temp_part(name: str) -> str:
    """*name* as its temporary files carry it: without what GDAL cannot open, and cut
    so that a temporary name stays within the 255 bytes a file name may have."""
    safe = gdal_safe_name(name)
    raw = safe.encode("utf-8")
    room = 255 - _TEMP_EXTRA
    return raw[:room].decode("utf-8", "ignore") if len(raw) > room else safe


def remove_abandoned(target: Path) -> list[Path]:
    """Remove the temporary files of *target* that a killed run left beside it; return them.

    Only names :func:`atomic_write_files` gives (``.NAME.PID.XXXXXXXX.tmp…``, SQLite's
    ``-journal``/``-wal``/``-shm`` after them too) whose process is gone: another command
    writing the same output right now keeps its file.
    """
    pattern = re.compile(rf"\.{re.escape(_temp_part(target.name))}\.(\d+)\.[^./]{{8}}\.tmp")
    removed = []
    try:
        names = os.listdir(target.parent)
    except OSError:
        return removed
    for name in names:
        found = pattern.match(name)
        if found is None or _alive(int(found.group(1))):
            continue
        path = target.parent / name
        try:
            if path.is_file() and not path.is_symlink():
                path.unlink()
                removed.append(path)
        except OSError:  # another run removed it first, or it is not ours to remove
            continue
    return removed


def _alive(pid: int) -> bool:
    """Whether process *pid* runs (one of another user's counts; a zombie, killed and not
    yet reaped by its parent, does not)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # another user's, or not a pid this system has: not known gone
    try:  # Linux: the state follows the command name, which may hold ")" itself
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return True
    return stat[stat.rfind(b")") + 2:][:1] != b"Z"


def _remove_temporary(tmp: Path) -> None:
    """Remove a temporary output and what SQLite (a GeoPackage) may have left beside it."""
    for leftover in (tmp, tmp.with_name(tmp.name + "-journal"),
                     tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
        try:
            leftover.unlink(missing_ok=True)
        except OSError:  # pragma: no cover - nothing more to do on the way out
            pass


def _fsync_dir(folder: Path) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open folders
        return
    try:
        os.fsync(dfd)
    except OSError:  # pragma: no cover - some file systems refuse
        pass
    finally:
        os.close(dfd)
