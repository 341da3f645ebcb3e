"""Indonesian and Malay word forms: the possible roots of a word, by its affixes.

Workers write "tahan paspor" or "paspor ditahan" where a phrasing says "menahan paspor"; the three
share the root "tahan". Listing every affixed form as a synonym does not scale, so a word the
knowledge base does not know is matched to a known word with a root in common
(:meth:`bot.normalize.Normalizer.spell`). The rules are the standard ones (as in the Nazief-Adriani
stemmer): particles and possessives, then -kan/-an/-i, then up to two prefixes, where me- and pe-
with a nasal may have replaced the root's first consonant (menahan ← tahan, memukul ← pukul,
mengirim ← kirim, menyiksa ← siksa). Without a dictionary of roots every reading is kept; a
coincidence needs two words to share a root of four letters or more.
"""

from __future__ import annotations

#: A root shorter than this is not trusted: too many words share three letters.
MIN_ROOT = 4

#: Suffixes, outermost first: particles (-lah, -kah, -pun), the possessive -nya, then derivational,
#: with the Jakarta chat -in for -kan/-i ("lindungin", "digebukin").
_SUFFIXES = ("lah", "kah", "pun", "nya", "kan", "in", "an", "i")

#: Prefixes, longest first, each with the letters a nasal may have replaced at the root's start.
_PREFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("meng", ("", "k")), ("meny", ("s",)), ("mem", ("", "p")), ("men", ("", "t")), ("me", ("",)),
    ("peng", ("", "k")), ("peny", ("s",)), ("pem", ("", "p")), ("pen", ("", "t")),
    ("per", ("",)), ("pe", ("",)), ("ber", ("",)), ("be", ("",)), ("ter", ("",)),
    ("di", ("",)), ("ke", ("",)), ("se", ("",)),
    # Jakarta chat: ng-/nge-/ny- for me- ("ngomong", "ngebunuh", "nyiksa")
    ("nge", ("",)), ("ng", ("", "k")), ("ny", ("s", "c")),
)  # fmt: skip


def roots(word: str) -> frozenset[str]:
    """Every reading of ``word`` as root plus affixes, the word itself included; none shorter
    than :data:`MIN_ROOT` letters."""
    forms = {word}
    for suffix in _SUFFIXES:
        for form in list(forms):
            if form.endswith(suffix) and len(form) - len(suffix) >= MIN_ROOT:
                forms.add(form[: -len(suffix)])
    for _ in range(2):  # "memperkerjakan": mem-, then per-
        for form in list(forms):
            for prefix, restored in _PREFIXES:
                if form.startswith(prefix):
                    rest = form[len(prefix) :]
                    forms.update(letter + rest for letter in restored if len(letter + rest) >= MIN_ROOT)
    return frozenset(forms)
