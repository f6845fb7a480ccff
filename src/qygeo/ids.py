"""The one definition of a valid park id, checked wherever an id enters.

A park id names files (``maps/parks/<id>.html``), URL fragments and rows of
every layer, so it is kept to a pattern that is safe in all of them: lower-case
ASCII letters, digits, ``_`` and ``-``, starting with a letter or digit, at most
64 characters. Intake (``qygeo park add``), ``qygeo validate`` (``park_id`` and
``parent_park_id`` of every layer and of park_stats.csv) and ``--park`` of
``report`` and ``map`` all use :func:`park_id_problem` / :func:`check_park_id`.
"""

from __future__ import annotations

import re

from qygeo.errors import QygeoError

#: Park ids: lower-case letters, digits, ``_`` and ``-``, starting with a letter or digit.
PARK_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def park_id_problem(value: object, label: str = "park id") -> str | None:
    """Why *value* is not a valid park id (one phrase naming *label*), or None when it is.

    Parameters
    ----------
    value : object
        The id as found (a hand-edited layer may hold anything).
    label : str, default "park id"
        What holds it, for the message: ``--park``, ``parent_park_id`` ...
    """
    if isinstance(value, str) and PARK_ID_RE.fullmatch(value):
        return None
    return (f"{label} {str(value)!r} is not a valid park id: use lower-case letters, digits, "
            "_ and - (at most 64, not starting with _ or -), e.g. qingxin_south2")


def check_park_id(value: str, label: str = "park id") -> str:
    """Return *value* if it is a valid park id, else raise QygeoError (see
    :func:`park_id_problem`)."""
    problem = park_id_problem(value, label)
    if problem:
        raise QygeoError(problem)
    return value
