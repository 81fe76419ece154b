"""Writing numbers and dates the way the real exporters do, a whole column at a time."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# Formatting a float is the costliest step of writing a row (≈ 250 ns); columns with few
# distinct values (labels' Cep, surfaces, scores…) reuse strings from these caches.
CACHE_LIMIT = 200_000  # entries per cache: bounded memory, cleared when full
_JS_CACHE: dict[float, str | None] = {}
_REPR_CACHE: dict[float, str | None] = {}
_NAN = -1.0e300  # NaN never equals itself: stands for it as a dictionary key


def js_numbers(values: np.ndarray) -> list[object]:
    """Numbers as JavaScript prints them (`143`, `2.3`), None for NaN: data-fair and R exports.

    Integral values become Python ints so that csv and str() drop the `.0`.
    """
    out = values.astype(object)
    integral = values == np.trunc(values)  # False for NaN
    out[integral] = values[integral].astype(np.int64).astype(object)
    out[np.isnan(values)] = None
    result: list[object] = out.tolist()
    return result


def iso_dates(values: np.ndarray) -> list[str]:
    iso: list[str] = np.datetime_as_string(values, unit="D").tolist()
    return iso


def day_first_dates(values: np.ndarray) -> list[str]:
    """Trap: some legacy exports write dates `dd/mm/yyyy`."""
    return [f"{s[8:10]}/{s[5:7]}/{s[:4]}" for s in iso_dates(values)]


def _js(value: float) -> str:
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def _cached(
    values: np.ndarray,
    cache: dict[float, str | None],
    missing: str | None,
    convert: Callable[[float], str],
) -> list[str | None]:
    nan = np.isnan(values)
    keys: list[float] = (np.where(nan, _NAN, values) if nan.any() else values).tolist()
    if len(cache) > CACHE_LIMIT:
        cache.clear()
    cache[_NAN] = missing
    out: list[str | None] = list(map(cache.get, keys))
    if None in out:
        for i, (key, text) in enumerate(zip(keys, out, strict=True)):
            if text is None and key != _NAN:
                out[i] = cache[key] = convert(key)
    return out


def js_strings(values: np.ndarray) -> list[str | None]:
    """Like js_numbers, as strings, for columns with few distinct values (cached)."""
    return _cached(values, _JS_CACHE, None, _js)


def json_numbers(values: np.ndarray) -> list[str]:
    """JSON number literals (`216.0`), `null` for NaN, cached (few distinct values)."""
    return [text or "null" for text in _cached(values, _REPR_CACHE, "null", repr)]
