"""Order statistics of the benchmarks' timings."""

from __future__ import annotations


def percentile(values: list[float], q: float) -> float:
    """The value at rank round(q * (n - 1)) of the sorted values, for 0 <= q <= 1.

    Always a time that some run took, never one interpolated (as `statistics.quantiles` gives):
    the figures in benchmarks/NOTES.md were all taken this way and stay comparable.
    """
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
