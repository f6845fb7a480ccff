"""Joining attribute tables to layers by id, reporting unmatched keys both ways."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qygeo.errors import JoinError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


@dataclass
class JoinReport:
    """Keys that did not match, by side.

    Attributes
    ----------
    table : str
        Name of the attribute table (for messages).
    layer : str
        Name of the layer.
    key : str
        The key column.
    only_in_table : list of str
        Keys in the table with no feature in the layer (the rows are dropped).
    only_in_layer : list of str
        Layer features with no row in the table (their attributes are empty).
    """

    table: str
    layer: str
    key: str
    only_in_table: list[str] = field(default_factory=list)
    only_in_layer: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.only_in_table

    def messages(self) -> list[str]:
        """One line per side that has unmatched keys."""
        out = []
        if self.only_in_table:
            out.append(f"{self.table}: {self.key} not in {self.layer}: "
                       + ", ".join(self.only_in_table))
        if self.only_in_layer:
            out.append(f"{self.layer}: no row in {self.table} for {self.key} "
                       + ", ".join(self.only_in_layer))
        return out


def match_keys(layer_keys: pd.Series, table_keys: pd.Series, *, table: str, layer: str,
               key: str) -> JoinReport:
    """Compare the keys of a layer and of an attribute table (see :class:`JoinReport`)."""
    lk = {str(k) for k in layer_keys.dropna()}
    tk = {str(k) for k in table_keys.dropna()}
    return JoinReport(table=table, layer=layer, key=key,
                      only_in_table=sorted(tk - lk), only_in_layer=sorted(lk - tk))


def join_attributes(layer: pd.DataFrame, table: pd.DataFrame, key: str, *, table_name: str,
                    layer_name: str, strict: bool = False,
                    require_every_feature: bool = False) -> tuple[pd.DataFrame, JoinReport]:
    """Left-join *table* onto *layer* by *key*.

    Parameters
    ----------
    layer, table : pandas.DataFrame
        Both hold *key*; the table should have at most one row per key.
    strict : bool, default False
        Raise :class:`JoinError` on table keys missing from the layer (and, with
        *require_every_feature*, on features without a row) instead of only
        reporting them.

    Returns
    -------
    (pandas.DataFrame, JoinReport)
        The joined frame (layer rows, in layer order) and the unmatched keys.
    """
    report = match_keys(layer[key], table[key], table=table_name, layer=layer_name, key=key)
    if strict and (report.only_in_table or (require_every_feature and report.only_in_layer)):
        raise JoinError("; ".join(report.messages()))
    dup = table[key][table[key].duplicated()]
    if len(dup):
        raise JoinError(f"{table_name}: duplicate {key} {dup.iloc[0]!r}")
    overlap = [c for c in table.columns if c != key and c in layer.columns]
    right = table.drop(columns=overlap)
    return layer.merge(right, on=key, how="left"), report
