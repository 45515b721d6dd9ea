"""The output alphabet and how raw plate strings map onto it."""

from __future__ import annotations

import unicodedata

DIGITS = "0123456789"
LATIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# German district codes use umlauts (LÖ is not LO), so they are classes of their own.
UMLAUTS = "ÄÖÜ"
ALPHABET = DIGITS + LATIN + UMLAUTS
# A character hidden under a privacy mask (some public data sets grey out part of each plate).
# Models trained with masked plates have it as one more output class; it is never a plate letter.
MASK = "?"

# Cyrillic letters used on plates (UA, BG, RU, ...) are read as their Latin look-alikes.
CYRILLIC_TO_LATIN = {
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "У": "Y", "Х": "X", "І": "I",
}  # fmt: skip
# Greek capitals on Greek plates are chosen from Latin look-alikes too.
GREEK_TO_LATIN = {
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}  # fmt: skip


def normalize_label(raw: str, keep: str = "") -> str:
    """Map a registration as written (separators, Cyrillic, diacritics) to the model alphabet.

    Separators vanish, look-alike scripts become Latin, and diacritics other than the German
    umlauts are stripped (HR Č -> C); characters in ``keep`` (e.g. MASK) pass through. Raises
    ValueError for characters with no mapping.
    """
    out = []
    for ch in raw.upper():
        ch = CYRILLIC_TO_LATIN.get(ch, GREEK_TO_LATIN.get(ch, ch))
        if ch in ALPHABET or ch in keep:
            out.append(ch)
            continue
        if ch in " -·.*_/":
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        if base in ALPHABET and base not in UMLAUTS:
            out.append(base)
            continue
        raise ValueError(f"character {ch!r} in {raw!r} has no place in the plate alphabet")
    return "".join(out)
