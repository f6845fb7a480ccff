"""``qygeo serve``: a local web app over the data folder (see :mod:`qygeo.serve.app`)."""

from __future__ import annotations

from qygeo.serve.app import ServeConfig, create_app
from qygeo.serve.uploads import Limits

__all__ = ["Limits", "ServeConfig", "create_app"]
