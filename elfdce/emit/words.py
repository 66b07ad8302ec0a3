"""Counted nouns in messages: ``1 ELF file``, ``2 ELF files``, ``1 library``, ``3 libraries``."""

from __future__ import annotations

_IRREGULAR = {"library": "libraries", "static": "static", "Library": "Libraries"}


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1 (``plural`` or a regular English one)."""
    if n == 1:
        return f"{n} {noun}"
    if plural is None:
        head, _, last = noun.rpartition(" ")
        many = _IRREGULAR.get(last) or (last[:-1] + "ies" if last.endswith("y") and last[-2:-1]
                                         not in "aeiou" else last + "s")
        plural = f"{head} {many}" if head else many
    return f"{n} {plural}"
