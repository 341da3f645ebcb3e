"""Indonesian word forms (bot.morphology)."""

from bot.morphology import MIN_ROOT, roots


def test_nasal_prefixes_restore_the_roots_first_consonant() -> None:
    """me-/pe- with a nasal replaced the root's first letter: menahan, memukul, mengirim, menyiksa."""
    assert "tahan" in roots("menahan")
    assert "pukul" in roots("memukul")
    assert "kirim" in roots("mengirim")
    assert "siksa" in roots("menyiksa")
    assert "kirim" in roots("pengiriman")


def test_passive_and_suffixed_forms_share_the_root() -> None:
    """di-, -kan, -an, -i and the particles come off: ditahan, lindungi, perlindungan, gajinya."""
    assert "tahan" in roots("ditahan")
    assert "lindung" in roots("perlindungan") & roots("melindungi")
    assert "gaji" in roots("gajinya")


def test_two_prefixes() -> None:
    """mem- then per-: "memperpanjang" is read down to "panjang"."""
    assert "panjang" in roots("memperpanjang")


def test_no_root_shorter_than_four_letters() -> None:
    """ "makan" is not read as "mak": three-letter roots would join unrelated words."""
    assert all(len(root) >= MIN_ROOT for root in roots("makan"))
    assert roots("makan") == frozenset({"makan"})
