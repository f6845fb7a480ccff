"""Uploaded boundary files: a safe name, a temporary folder, archive limits.

An upload is written into a fresh temporary folder that is removed when the
request ends, whatever happens (:func:`upload_folder`). Its name is reduced to
a plain file name (no folders, no control characters) because it becomes the
park's ``source_file``. Archives (``.zip``, ``.kmz``) are checked before GDAL
opens them: member count, member names (no absolute paths, no ``..``) and the
size they really expand to, measured by decompressing each member and stopping
at the limit, so a zip whose headers lie about its sizes is caught too.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from qygeo.errors import QygeoError
from qygeo.io.boundary import INPUT_FORMATS
from qygeo.io.gdal_paths import gdal_name
from qygeo.io.sniff import MAC_FORKS, check_content
from qygeo.safe_text import describe_control_chars, has_control_chars

#: Defaults of ``qygeo serve``'s limits.
DEFAULT_MAX_UPLOAD_MB = 50.0
DEFAULT_MAX_MEMBERS = 100
DEFAULT_MAX_EXPANDED_MB = 500.0
#: Longest file name kept (it is recorded in parks.geojson).
MAX_NAME_CHARS = 120
_CHUNK = 1 << 20


class UploadError(QygeoError):
    """An upload is refused before it is read: bad name, too large, a hostile archive.

    Attributes
    ----------
    status : int
        The HTTP status the web app answers with (400, or 413 for sizes).
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Limits:
    """How much an upload may hold.

    Attributes
    ----------
    max_upload_bytes : int
        Size of the uploaded file itself.
    max_members : int
        Members of an archive (``.zip``, ``.kmz``).
    max_expanded_bytes : int
        Total size of an archive's members once decompressed.
    """

    max_upload_bytes: int = int(DEFAULT_MAX_UPLOAD_MB * 1e6)
    max_members: int = DEFAULT_MAX_MEMBERS
    max_expanded_bytes: int = int(DEFAULT_MAX_EXPANDED_MB * 1e6)


def safe_filename(name: str | None) -> str:
    """The last path component of an uploaded file's name, checked.

    Browsers send a bare name, but a script may send ``../../x.geojson`` or
    ``C:\\x\\y.zip``: only the final component is kept. The suffix must be one
    :func:`qygeo.pipeline.parks.read_boundary` reads.

    Raises
    ------
    UploadError
        No name, control characters, a name that is only dots, too long, or an
        unsupported suffix.
    """
    raw = (name or "").replace("\\", "/")
    base = raw.rsplit("/", 1)[-1].strip()
    if not base or set(base) <= {"."}:
        raise UploadError("the upload has no file name")
    if has_control_chars(base):
        raise UploadError(f"the file name holds control characters "
                          f"({describe_control_chars(base)}); rename the file")
    if len(base) > MAX_NAME_CHARS:
        raise UploadError(f"the file name is longer than {MAX_NAME_CHARS} characters")
    suffix = PurePosixPath(base).suffix.lower()
    if suffix not in INPUT_FORMATS or suffix == ".shp":
        raise UploadError(f"unsupported file type {suffix or '(no suffix)'!r}: send GeoJSON, a "
                          "zipped Shapefile (.zip), a GeoPackage (.gpkg) or KML/KMZ")
    return base


def check_archive(path: Path, limits: Limits) -> None:
    """Refuse a zip archive with too many members, hostile names or too much content.

    Raises
    ------
    UploadError
        Not a zip, more than ``limits.max_members`` members, an absolute or
        ``..`` member name, or members that expand beyond
        ``limits.max_expanded_bytes`` (status 413).
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadError(f"{path.name} is not a readable zip archive ({exc})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            raise UploadError(f"{path.name} holds {len(infos)} members; at most "
                              f"{limits.max_members} are accepted", status=413)
        for info in infos:
            name = info.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
                raise UploadError(f"{path.name} holds a member named {info.filename!r} that "
                                  "points outside the archive")
        budget = limits.max_expanded_bytes
        for info in infos:
            if info.is_dir():
                continue
            try:
                with zf.open(info) as fh:
                    while block := fh.read(_CHUNK):
                        budget -= len(block)
                        if budget < 0:
                            raise UploadError(
                                f"{path.name} expands to more than "
                                f"{limits.max_expanded_bytes / 1e6:g} MB", status=413)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError,
                    RuntimeError) as exc:
                raise UploadError(f"{path.name}: member {info.filename!r} cannot be read "
                                  f"({exc})") from None


@contextlib.contextmanager
def upload_folder(parent: str | Path | None = None) -> Iterator[Path]:
    """A new temporary folder for one upload, removed on exit (even on errors)."""
    folder = Path(tempfile.mkdtemp(prefix="qygeo-upload-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def save_upload(stream: object, name: str | None, folder: Path, limits: Limits) -> Path:
    """Copy an uploaded file into *folder* under its safe name, within the size limit.

    Parameters
    ----------
    stream : binary file object
        The upload (``UploadFile.file``).
    name : str or None
        The name the client gave.
    folder : pathlib.Path
        From :func:`upload_folder`.
    limits : Limits

    Returns
    -------
    pathlib.Path
        The saved file, archives already checked by :func:`check_archive`.

    Raises
    ------
    UploadError
        See :func:`safe_filename`, :func:`check_archive`; larger than
        ``limits.max_upload_bytes`` (413); empty.
    """
    path = folder / safe_filename(name)
    size = 0
    with open(path, "wb") as out:
        while block := stream.read(_CHUNK):  # type: ignore[attr-defined]
            size += len(block)
            if size > limits.max_upload_bytes:
                raise UploadError(f"the file is larger than "
                                  f"{limits.max_upload_bytes / 1e6:g} MB", status=413)
            out.write(block)
    if size == 0:
        raise UploadError(f"{path.name} is empty (0 bytes)")
    if path.suffix.lower() in (".zip", ".kmz"):
        check_archive(path, limits)
    return path


def layer_names(path: Path) -> list[str]:
    """Layers a user may choose from: Shapefiles of a zip, layers of a GeoPackage or KML.

    Unreadable files give an empty list (reading them reports the problem).
    """
    import pyogrio

    if path.suffix.lower() == ".zip":
        with contextlib.suppress(zipfile.BadZipFile, OSError), zipfile.ZipFile(path) as zf:
            return sorted(PurePosixPath(n).stem for n in zf.namelist()
                          if n.lower().endswith(".shp") and not n.startswith(MAC_FORKS))
        return []
    try:
        check_content(path)  # GDAL opens what the bytes say, whatever the name
        return [str(row[0]) for row in pyogrio.list_layers(gdal_name(path))]
    except Exception:  # noqa: BLE001 - GDAL raises several types; reading reports it
        return []
