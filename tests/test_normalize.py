"""Text normalisation (bot.normalize)."""

import pytest

from bot.normalize import Normalizer, fold, typo_cutoff


@pytest.fixture
def normalizer() -> Normalizer:
    return Normalizer(
        abbreviations={"yg": "yang", "tki": "pekerja migran", "gk": "tidak"},
        synonyms=[["labor", "labour"], ["kemnaker", "ministry of manpower", "kementerian ketenagakerjaan"]],
        stopwords=["the", "of", "yang", "his", "is", "what"],
        vocabulary=["labour", "inspection", "conference", "human", "trafficking", "pekerja", "migran", "bermasalah"],
    )


def test_fold_strips_case_accents_and_punctuation() -> None:
    """Phones type accents and punctuation inconsistently; matching must not care."""
    assert fold("  Déclaration—CEBU?! ") == "declaration cebu"


def test_fold_handles_ordinals_and_reduplication() -> None:
    """'12th' matches '12', and chat-style 'anak2' matches 'anak'."""
    assert fold("12th conference, anak2") == "12 conference anak"


def test_abbreviations_expand(normalizer: Normalizer) -> None:
    """Chat abbreviations expand to their full words, multi-word expansions included."""
    assert normalizer.tokens("tki yg gk") == ["pekerja", "migran", "yang", "tidak"]


def test_synonym_phrases_become_canonical(normalizer: Normalizer) -> None:
    """Spelling variants and multi-word names map onto the group's first form."""
    assert normalizer.tokens("the Ministry of Manpower labour") == ["the", "kemnaker", "labor"]
    assert normalizer.tokens("kementerian ketenagakerjaan") == ["kemnaker"]


def test_misspelling_is_corrected_before_synonyms(normalizer: Normalizer) -> None:
    """'labour inspecton conferense' is read as the known words."""
    assert normalizer.tokens("labour inspecton conferense") == ["labor", "inspection", "conference"]


def test_stopwords_are_no_spelling_target(normalizer: Normalizer) -> None:
    """'hits' must stay an unknown word, not turn into the stopword 'his'."""
    assert normalizer.tokens("hits") == ["hits"]


def test_short_words_are_never_guessed(normalizer: Normalizer) -> None:
    """Under four letters or with digits a near miss is a different word ("ILO"/"IOM")."""
    assert typo_cutoff("iom") is None
    assert typo_cutoff("2017") is None
    assert typo_cutoff("inspecton") == 80.0


def test_content_drops_stopwords_but_never_everything(normalizer: Normalizer) -> None:
    """Stopwords go, unless nothing else would be left."""
    assert normalizer("what is the labour conference") == "labor conference"
    assert normalizer("what is the") == "what is the"


def test_repeated_words_collapse(normalizer: Normalizer) -> None:
    """Indonesian reduplication written with a space ("anak anak") counts once."""
    assert normalizer.tokens("anak anak") == ["anak"]


def test_one_word_synonym_inside_a_phrase_waits_for_the_phrase() -> None:
    """A word of a longer phrase is not swapped early: "di mana" is one phrase, "mana" alone another."""
    normalizer = Normalizer(
        abbreviations={"dmn": "di mana"},
        synonyms=[["where", "di mana"], ["which", "mana"], ["who", "siapa"]],
        stopwords=[],
        vocabulary=["kantor"],
    )
    assert normalizer.tokens("di mana kantor") == ["where", "kantor"]
    assert normalizer.tokens("dmn kantor") == ["where", "kantor"]
    assert normalizer.tokens("mana kantor") == ["which", "kantor"]
    assert normalizer.tokens("siapa di mana") == ["who", "where"]


def test_unknown_affixed_word_becomes_the_known_form_with_its_root() -> None:
    """ "tahan" and "ditahan" are read as the known "menahan"; a typo still goes to the closest word."""
    normalizer = Normalizer(abbreviations={}, synonyms=[], stopwords=[], vocabulary=["menahan", "paspor", "majikan"])
    assert normalizer.tokens("majikan tahan paspor") == ["majikan", "menahan", "paspor"]
    assert normalizer.tokens("paspor ditahan") == ["paspor", "menahan"]
    assert normalizer.tokens("majikn") == ["majikan"]
    assert normalizer.tokens("gunung") == ["gunung"]  # no root in common, not alike: left unknown


def test_an_affixed_stopword_is_that_stopword() -> None:
    """ "dibilang" (said) is the stopword "bilang", not the known word "bilangan" (a number) it shares a root with."""
    normalizer = Normalizer(abbreviations={}, synonyms=[], stopwords=["bilang"], vocabulary=["bilangan", "menteri"])
    assert normalizer.tokens("dibilang menteri") == ["bilang", "menteri"]


def test_an_everyday_word_is_not_taken_for_a_misspelling() -> None:
    """ "partai" (a party) stays itself, unknown, rather than becoming the known "part"."""
    plain = Normalizer(abbreviations={}, synonyms=[], stopwords=[], vocabulary=["part", "hanif"])
    told = Normalizer(abbreviations={}, synonyms=[], stopwords=[], vocabulary=["part", "hanif"], everyday=["partai"])
    assert plain.tokens("hanif partai") == ["hanif", "part"]
    assert told.tokens("hanif partai") == ["hanif", "partai"]


def test_prepared_in_advance_reads_the_same() -> None:
    """Building the root index ahead (as the bot does after loading) changes no reading."""
    lazy = Normalizer(abbreviations={}, synonyms=[], stopwords=[], vocabulary=["menahan", "pengiriman"])
    ready = Normalizer(abbreviations={}, synonyms=[], stopwords=[], vocabulary=["menahan", "pengiriman"])
    ready.prepare()
    ready.prepare()  # twice is harmless
    for text in ("ditahan", "kiriman anak", "tahan"):
        assert ready.tokens(text) == lazy.tokens(text)
    assert ready.tokens("kiriman") == ["pengiriman"]


def test_spelling_cache_keeps_the_recent_words_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past its size the cache drops the least recently used word and keeps caching new ones."""
    import bot.normalize

    monkeypatch.setattr(bot.normalize, "SPELLING_CACHE", 2)
    small = Normalizer(abbreviations={}, synonyms=[], stopwords=[], vocabulary=["labour", "inspection", "human"])
    for word in ("labuor", "inspektion", "humann"):
        small.spell(word)
    assert small.spell("humann") == "human"  # the newest word, cached although the cache was full
    info = small.spell.cache_info()  # type: ignore[attr-defined]
    assert (info.hits, info.currsize) == (1, 2)
    small.spell("labuor")  # the oldest was dropped: worked out again
    assert small.spell.cache_info().misses == 4  # type: ignore[attr-defined]


def test_a_closing_right_is_a_tag_not_a_word() -> None:
    """'…in Geneva, right?' checks a statement (read as 'correct', a check word); read as 'rights' it
    pulled towards the rights entries."""
    normalizer = Normalizer({}, [], [], vocabulary=["rights", "geneva", "right"])
    assert normalizer.tokens("the meeting was in geneva, right?")[-2:] == ["geneva", "correct"]
    assert normalizer.tokens("it was in geneva right ?") == ["it", "was", "in", "geneva", "correct"]


def test_an_english_tag_question_reads_as_a_check() -> None:
    """'…in 2015, wasn't it?' and '…, didn't he?' close a check like 'right?' does; 'why didn't they?' asks."""
    normalizer = Normalizer({}, [], [], vocabulary=["signed", "jakarta"])
    assert normalizer.tokens("it was signed in jakarta, wasn't it?")[-2:] == ["jakarta", "correct"]
    assert normalizer.tokens("he went to jakarta, didnt he?")[-2:] == ["jakarta", "correct"]
    assert normalizer.tokens("why didnt they?")[-1] != "correct"
    assert normalizer.tokens("what is it?")[-1] == "it"


def test_right_as_a_noun_stays() -> None:
    """'do workers have a right?' and 'the right to join a union' keep the word."""
    normalizer = Normalizer({}, [], [], vocabulary=["rights", "right"])
    assert normalizer.tokens("do workers have a right?")[-1] == "right"
    assert "right" in normalizer.tokens("is there the right to join a union?")
