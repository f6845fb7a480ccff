"""The names under which GDAL is given files: exactly the file meant, or a refusal.

pyogrio reads every name as a URL before GDAL sees it (see :func:`gdal_name`); every
reader and writer of a file through GDAL asks this module for the name to pass.
"""

from __future__ import annotations

import os
from pathlib import Path

from qygeo.errors import DataFileError


def gdal_name(path: str | os.PathLike[str]) -> str:
    """The name under which pyogrio gives GDAL exactly the local file *path*.

    pyogrio reads a name as a URL (``urllib.parse``) before GDAL sees it, so a name
    could make GDAL open another file than the one qygeo checked, or fetch a URL: a
    relative ``http:/host/x.geojson`` (a folder named ``http:``) is a URL, a leading
    ``//`` names a host, tab, CR and LF are silently dropped, a ``;`` in the file's name
    starts the URL's "parameters", which are dropped (``p;2024.geojson`` would be
    ``p``), and a ``!`` marks an archive's member. The path is therefore made absolute
    and real (links and ``..`` resolved as the system resolves them, one leading ``/``),
    given as a ``file://`` URL when its name holds a ``;`` (that scheme has no
    parameters), and refused when it holds a ``!`` or a tab, CR or LF, which no form
    passes through. ``/vsi…`` names, qygeo's own, pass as they are.

    Raises
    ------
    DataFileError
        A path with ``!``, a tab, CR or LF.
    """
    text = os.fspath(path)
    if text.startswith("/vsi"):
        return text
    if any(c in text for c in "\t\r\n"):
        raise DataFileError(path, "a path with a tab or a line break cannot be opened by GDAL "
                                  "(pyogrio drops them and would open another file): rename "
                                  "the file or folder")
    if "!" in text:
        raise DataFileError(path, "a path with '!' cannot be opened by GDAL (pyogrio takes "
                                  "it for an archive's member): rename the file or folder")
    real = "/" + os.path.realpath(text).lstrip("/")
    if ";" in Path(real).name:
        return "file://" + real
    return real


def gdal_safe_name(name: str) -> str:
    """*name* with the characters :func:`gdal_name` cannot always pass (``;`` ``!``)
    replaced, for temporary files of qygeo's own making."""
    return name.replace(";", "_").replace("!", "_")
