"""The 亩均 grading configuration: weights, benchmarks, cut-offs, entry thresholds.

The defaults live in ``grading_default.toml`` (package data, shipped with
qygeo). A user's TOML file passed with ``qygeo report --config FILE`` is merged
over them key by key, so it need only name what it changes. Unknown keys are
refused (a typo must not silently fall back to a default), and so are the park ids
of its ``[entry.parks]`` that the report's parks layer lacks. The values in use
are echoed in every report (:meth:`GradingConfig.as_rows`).

The formulas that use these values are in :mod:`qygeo.core.grading`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from qygeo.errors import ConfigError

DEFAULT_CONFIG_NAME = "grading_default.toml"
#: A grading config is a few dozen lines; anything far bigger is another file.
MAX_CONFIG_BYTES = 1_000_000

#: Per-mu indicators the grading knows, with their plot columns and labels.
#: key -> (numerator column, 中文, English)
GRADING_INDICATORS: dict[str, tuple[str, str, str]] = {
    "tax_wan_per_mu": ("tax_yuan", "亩均税收", "Tax per mu"),
    "output_wan_per_mu": ("output_yuan", "亩均产值", "Output per mu"),
    "value_added_wan_per_mu": ("value_added_yuan", "亩均增加值", "Value added per mu"),
    "investment_wan_per_mu": ("invested_yuan", "亩均投资", "Investment per mu"),
}
GRADES = ("A", "B", "C", "D")
#: How scores become classes: absolute cut-offs, or rank percentile within a park.
GRADING_METHODS = ("cutoffs", "percentile")
#: Entry threshold keys of a park's ``[entry.parks.<park_id>]`` table (万元/亩).
ENTRY_KEYS = ("investment_wan_per_mu", "output_wan_per_mu", "tax_wan_per_mu")
INVESTMENT_BASES = {"agreed": "agreed_investment_yuan", "invested": "invested_yuan"}


@dataclass(frozen=True)
class GradingConfig:
    """Grading settings (all per-mu values in 万元/亩).

    Attributes
    ----------
    weights : dict
        Indicator key → weight (≥ 0; 0 drops it).
    benchmarks : dict
        Indicator key → benchmark value in 万元/亩 (> 0 where weighted).
    cap : float
        Largest value/benchmark ratio counted per indicator.
    cutoffs : dict
        ``{"A": a, "B": b, "C": c}``: lowest score of each grade (a ≥ b ≥ c);
        below ``c`` is D (method ``cutoffs``).
    entry : dict
        ``investment_basis`` (``agreed`` or ``invested``) and ``parks``:
        park_id → that park's entry thresholds in 万元/亩
        (``investment_wan_per_mu``, ``output_wan_per_mu``, ``tax_wan_per_mu``),
        their ``name`` and ``source``. A park not named has no entry check.
    source : str
        Where the settings came from (the default file, or the user's path).
    user_parks : tuple of str
        The park ids of the user's file's ``[entry.parks]``: a typo of an id would check
        no plot and say nothing, so they are checked against the data folder's parks
        (:func:`check_entry_parks`) where both are known.
    user_file : str
        The user's file, to name in that check's message ("" without one).
    """

    weights: dict[str, float]
    benchmarks: dict[str, float]
    cap: float
    cutoffs: dict[str, float]
    entry: dict[str, Any]
    source: str
    method: str = "cutoffs"
    percentiles: dict[str, float] | None = None
    percentile_min_ranked: int = 10
    user_parks: tuple[str, ...] = ()
    user_file: str = ""

    def as_rows(self) -> list[dict[str, Any]]:
        """Every setting as ``{"section", "key", "value", "unit"}`` rows (to echo in reports)."""
        rows: list[dict[str, Any]] = [
            {"section": "config", "key": "source", "value": self.source, "unit": ""},
            {"section": "grading", "key": "cap", "value": self.cap, "unit": "× benchmark"},
        ]
        for k, w in self.weights.items():
            rows.append({"section": "grading.weights", "key": k, "value": w, "unit": ""})
        for k, b in self.benchmarks.items():
            rows.append({"section": "grading.benchmarks", "key": k, "value": b, "unit": "万元/亩"})
        for k, c in self.cutoffs.items():
            rows.append({"section": "grading.cutoffs", "key": k, "value": c,
                         "unit": "lowest score"})
        rows.append({"section": "grading", "key": "method", "value": self.method, "unit": ""})
        for k, c in (self.percentiles or {}).items():
            rows.append({"section": "grading.percentiles", "key": k, "value": c,
                         "unit": "% ranked above, less than"})
        rows.append({"section": "grading", "key": "percentile_min_ranked",
                     "value": self.percentile_min_ranked, "unit": "graded plots per park"})
        rows.append({"section": "entry", "key": "investment_basis",
                     "value": self.entry["investment_basis"], "unit": ""})
        for pid, t in self.entry["parks"].items():
            for k, v in t.items():
                unit = "万元/亩" if k.endswith("_wan_per_mu") else ""
                rows.append({"section": f"entry.parks.{pid}", "key": k, "value": v,
                             "unit": unit})
        return rows


def check_entry_parks(config: GradingConfig, park_ids: Sequence[str]) -> None:
    """Refuse a park id of the user's ``[entry.parks]`` that is no park of *park_ids*.

    Entry thresholds are looked up by park id: ``[entry.parks.guangqnig]`` would check
    no plot, and Guangqing's plots would go unchecked without a word.

    Raises
    ------
    ConfigError
        The first such id, with the closest known ids.
    """
    import difflib

    known = [str(p) for p in park_ids]
    for pid in config.user_parks:
        if pid in known:
            continue
        close = difflib.get_close_matches(pid, known, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(f"{config.user_file}: [entry.parks.{pid}]: {pid!r} is no park of "
                          f"the parks layer{hint} (known ids: {', '.join(sorted(known))})")


def _default_text() -> str:
    return resources.files("qygeo.core").joinpath(DEFAULT_CONFIG_NAME).read_text(encoding="utf-8")


def _merge(base: dict[str, Any], over: dict[str, Any], where: str, path: str) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        name = f"{where}.{k}" if where else k
        if where == "entry.parks":  # any park id; a park's table replaces the default's
            if not isinstance(v, dict):
                raise ConfigError(f"{path}: {name} must be a table")
            out[k] = v
            continue
        if k not in base:
            known = ", ".join(sorted(base))
            raise ConfigError(f"{path}: unknown setting {name!r} (known here: {known})")
        if isinstance(base[k], dict):
            if not isinstance(v, dict):
                raise ConfigError(f"{path}: {name} must be a table")
            out[k] = _merge(base[k], v, name, path)
        else:
            out[k] = v
    return out


def _number(value: Any, name: str, path: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{path}: {name} must be a number, not {value!r}")
    try:
        value = float(value)
    except OverflowError:  # an integer beyond the largest double
        raise ConfigError(f"{path}: {name} must be a finite number, not an integer of "
                          f"{len(str(abs(value)))} digits") from None
    if value < 0 or (positive and value == 0) or value != value:
        raise ConfigError(f"{path}: {name} must be {'> 0' if positive else '≥ 0'}, not {value:g}")
    if value == float("inf"):  # TOML's inf, or 1e400: no score or threshold can use it
        raise ConfigError(f"{path}: {name} must be a finite number, not {value:g}")
    return value


def load_config(path: str | os.PathLike[str] | None = None) -> GradingConfig:
    """Read the grading configuration: defaults, with *path* merged over them.

    Parameters
    ----------
    path : path-like, optional
        A TOML file holding some of the keys of ``grading_default.toml``.

    Raises
    ------
    ConfigError
        Missing or unreadable file, TOML syntax error, unknown key, a value
        that is not a number, a negative weight, a zero benchmark for a
        weighted indicator, or cut-offs out of order.
    """
    data = tomllib.loads(_default_text())
    source = f"qygeo/core/{DEFAULT_CONFIG_NAME} (defaults)"
    where = DEFAULT_CONFIG_NAME
    user_parks: tuple[str, ...] = ()
    if path is not None:
        p = Path(path)
        where = str(p)
        if p.exists() and not p.is_file():  # a FIFO would hang, /dev/zero fill the memory
            raise ConfigError(f"{p}: not a regular file (a folder, a pipe or a device)")
        if p.is_file() and p.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{p}: {p.stat().st_size:,} bytes is no grading config "
                              f"(at most {MAX_CONFIG_BYTES:,})")
        try:
            user = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{p}: file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{p}: cannot be read ({exc})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: not valid TOML ({exc})") from None
        except RecursionError:  # arrays nested thousands deep: no grading setting is
            raise ConfigError(f"{p}: not a grading config (nested too deep)") from None
        except ValueError as exc:  # an integer of more digits than Python converts
            raise ConfigError(f"{p}: not a grading config ({exc})") from None
        data = _merge(data, user, "", where)
        source = f"{p} over the defaults"
        user_parks = tuple(str(pid) for pid in user.get("entry", {}).get("parks", {}))
    g = data["grading"]
    weights = {k: _number(v, f"grading.weights.{k}", where) for k, v in g["weights"].items()}
    if not any(weights.values()):
        raise ConfigError(f"{where}: every grading weight is 0")
    benchmarks = {k: _number(v, f"grading.benchmarks.{k}", where, positive=weights[k] > 0)
                  for k, v in g["benchmarks"].items()}
    cap = _number(g["cap"], "grading.cap", where, positive=True)
    cutoffs = {k: _number(v, f"grading.cutoffs.{k}", where) for k, v in g["cutoffs"].items()}
    if not cutoffs["A"] >= cutoffs["B"] >= cutoffs["C"]:
        raise ConfigError(f"{where}: grading.cutoffs must satisfy A ≥ B ≥ C "
                          f"(got A={cutoffs['A']:g}, B={cutoffs['B']:g}, C={cutoffs['C']:g})")
    best = cap * sum(weights.values())  # every ratio at the cap
    if g["method"] == "cutoffs" and cutoffs["A"] > best:
        # Weights of 0.6 and 0.4 with the 100/70/40 cut-offs: every plot a silent D.
        raise ConfigError(f"{where}: no plot can reach grade A: the best score is "
                          f"{best:g} (cap {cap:g} × the weights' sum "
                          f"{sum(weights.values()):g}) and the A cut-off is "
                          f"{cutoffs['A']:g}; give weights in points (summing to 100, as "
                          "the default cut-offs expect) or cut-offs on the weights' scale")
    if g["method"] not in GRADING_METHODS:
        raise ConfigError(f"{where}: grading.method must be one of "
                          f"{', '.join(GRADING_METHODS)}, not {g['method']!r}")
    pct = {k: _number(v, f"grading.percentiles.{k}", where)
           for k, v in g["percentiles"].items()}
    if not 0 < pct["A"] <= pct["B"] <= pct["C"] <= 100:
        raise ConfigError(f"{where}: grading.percentiles must satisfy 0 < A ≤ B ≤ C ≤ 100 "
                          f"(got A={pct['A']:g}, B={pct['B']:g}, C={pct['C']:g})")
    min_ranked = _number(g["percentile_min_ranked"], "grading.percentile_min_ranked", where,
                         positive=True)
    if not min_ranked.is_integer():
        raise ConfigError(f"{where}: grading.percentile_min_ranked must be a whole number of "
                          f"plots, not {min_ranked:g}")
    e = data["entry"]
    if e["investment_basis"] not in INVESTMENT_BASES:
        raise ConfigError(f"{where}: entry.investment_basis must be one of "
                          f"{', '.join(INVESTMENT_BASES)}, not {e['investment_basis']!r}")
    parks: dict[str, dict[str, Any]] = {}
    for pid, t in e["parks"].items():
        unknown = sorted(set(t) - {"name", "source", *ENTRY_KEYS})
        if unknown:
            raise ConfigError(f"{where}: unknown setting 'entry.parks.{pid}.{unknown[0]}' "
                              f"(known here: {', '.join(('name', 'source', *ENTRY_KEYS))})")
        missing = [k for k in ENTRY_KEYS if k not in t]
        if missing:
            raise ConfigError(f"{where}: entry.parks.{pid} lacks {', '.join(missing)}")
        parks[str(pid)] = {"name": str(t.get("name", pid)), "source": str(t.get("source", "")),
                           **{k: _number(t[k], f"entry.parks.{pid}.{k}", where)
                              for k in ENTRY_KEYS}}
    entry = {"investment_basis": e["investment_basis"], "parks": parks}
    return GradingConfig(weights=weights, benchmarks=benchmarks, cap=cap, cutoffs=cutoffs,
                         entry=entry, source=source, method=g["method"], percentiles=pct,
                         percentile_min_ranked=int(min_ranked), user_parks=user_parks,
                         user_file=where if path is not None else "")
