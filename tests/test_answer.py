"""Composing replies (bot.answer): answers with sources, suggestions, fallback, smalltalk, help."""

import pytest

from bot.answer import MAX_QUESTION_CHARS, Responder, format_date
from bot.knowledge import KnowledgeBase


def test_answer_ends_with_its_sources(responder: Responder) -> None:
    """An answer names every source it rests on: title, publisher and date, after the text."""
    reply = responder.respond("what is the cebu declaration")
    assert reply.kind == "answer" and reply.entry_id == "cebu-declaration"
    body, sources = reply.text.split("\n\nSources:\n")
    assert "13 January 2007" in body
    assert (
        "ASEAN Declaration on the Protection and Promotion of the Rights of Migrant Workers — ASEAN, 13 January 2007"
        in sources
    )
    assert "The Jakarta Post (Ridwan Max Sijabat), June 2015" in sources
    assert {s.id for s in reply.sources} == {"cebu-declaration-2007", "jakarta-post-2015"}


def test_known_url_is_shown(responder: Responder) -> None:
    """Where a source (or its repost) has a known address, the reply shows it."""
    reply = responder.respond("who wrote the jakarta post article")
    assert "http://aseantuc.org/2015/06/1162015-asean-member-countries-urged-to-protect-migrant-workers/" in reply.text


def test_indonesian_question_gets_indonesian_answer(responder: Responder) -> None:
    """The reply is in the language the question was written in, dates included."""
    reply = responder.respond("konferensi pengawasan ketenagakerjaan asean kapan")
    assert reply.kind == "answer" and reply.language == "id"
    assert "Desember 2023" in reply.text and "Sumber:" in reply.text


def test_forced_language_wins(responder: Responder) -> None:
    """A chosen language (the CLI's --lang, later the user's setting) overrides detection."""
    reply = responder.respond("konferensi pengawasan ketenagakerjaan asean kapan", lang="en")
    assert reply.language == "en" and "December 2023" in reply.text


def test_quote_is_shown_with_its_speaker(responder: Responder) -> None:
    """An entry's verbatim quote is part of the reply, attributed."""
    reply = responder.entry_reply("human-trafficking", "en")
    assert "“We need a spirit of togetherness in fighting human trafficking" in reply.text
    assert "— Hanif Dhakiri" in reply.text


def test_both_sides_when_a_later_source_changes_the_picture(responder: Responder) -> None:
    """The 2015 'not signed' answer also says what was signed in 2017, citing both sources."""
    reply = responder.respond("has the asean agreement on migrant workers been signed")
    assert "had not been signed" in reply.text and "14 November 2017" in reply.text
    assert {s.id for s in reply.sources} == {"jakarta-post-2015", "asean-consensus-2017"}


def test_suggestions_offer_entries(responder: Responder) -> None:
    """An unclear question gets "Did you mean…?" with the entries' own questions, and no facts."""
    reply = responder.respond("labour inspection conference")
    assert reply.kind == "suggestions" and reply.sources == []
    assert reply.text.startswith(responder.kb.message("did_you_mean", "en"))
    for number, suggestion in enumerate(reply.suggestions, 1):
        assert f"{number}. {suggestion.question}" in reply.text
        assert suggestion.question == responder.kb.entries[suggestion.entry_id].questions.en[0]


def test_fallback_says_what_it_can_do_and_refers(responder: Responder) -> None:
    """Nothing close: the reply says so, lists what the bot covers, refers, and points to /topics."""
    reply = responder.respond("What is the best food in Penang?")
    assert reply.kind == "fallback" and reply.entry_id is None and reply.sources == []
    assert "/topics" in reply.text
    assert responder.kb.message("referral", "en") in reply.text


@pytest.mark.parametrize("text", ["hi", "Halo!", "good morning how are you", "terima kasih", "thx", "makasih banyak"])
def test_greetings_and_thanks_are_smalltalk(responder: Responder, text: str) -> None:
    """Greetings and thanks get a short friendly reply and never a fact."""
    reply = responder.respond(text)
    assert reply.kind == "smalltalk" and reply.sources == [] and reply.entry_id is None


def test_greeting_before_a_question_still_answers(responder: Responder) -> None:
    """ "Halo, apa itu ILO?" is a question with a greeting, not smalltalk."""
    reply = responder.respond("halo, apa itu ILO?")
    assert reply.kind == "answer" and reply.entry_id == "ilo" and reply.language == "id"


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_question_gets_help(responder: Responder, text: str) -> None:
    """An empty message gets the help text."""
    reply = responder.respond(text)
    assert reply.kind == "help" and reply.text == responder.kb.message("help", "en")


def test_huge_question_is_answered(responder: Responder) -> None:
    """A 100 KB message is answered normally; the reply keeps the question as sent."""
    question = "what is the cebu declaration " + "please " * 15_000
    assert len(question) > 100_000
    reply = responder.respond(question)
    assert reply.question == question
    assert reply.kind == "answer" and reply.entry_id == "cebu-declaration"


def test_only_the_start_of_a_long_message_is_matched(responder: Responder) -> None:
    """Words past the truncation point are not read, so a paste cannot cost more than a question."""
    padding = "x " * (MAX_QUESTION_CHARS // 2)
    assert responder.respond(padding + "what is the cebu declaration").kind == "fallback"


def test_dates_are_written_out_per_language() -> None:
    """ISO dates from the sources are shown the way people read them."""
    assert format_date("2015-06", "en") == "June 2015"
    assert format_date("2015-06", "id") == "Juni 2015"
    assert format_date("2007-01-13", "id") == "13 Januari 2007"
    assert format_date("2023", "en") == "2023"


def test_json_shape(responder: Responder) -> None:
    """The JSON form has every field the scorer and the logs rely on."""
    data = responder.respond("what is the ILO").to_json()
    assert set(data) >= {"question", "kind", "entry_id", "score", "language", "text", "sources", "suggestions"}
    assert set(data["sources"][0]) == {"id", "title", "publisher", "date", "url"}


@pytest.mark.parametrize(
    ("text", "situation"),
    [("help, I am locked in", "confinement"), ("tolong saya, majikan menahan paspor saya", "passport-taken"),
     ("gaji saya tidak dibayar 3 bulan", "unpaid-months"), ("I want to kill myself", "self-harm"),
     ("saya dipukul majikan", "violence"), ("i was trafficked to malaysia", "trafficking")],
)  # fmt: skip
def test_urgent_messages_name_the_situation_then_the_contacts(responder: Responder, text: str, situation: str) -> None:
    """A worker in danger reads what the bot understood, then the contacts, never an FAQ answer first."""
    reply = responder.respond(text)
    assert reply.kind == "urgent" and reply.situations[0] == situation
    says = next(s for s in responder.kb.urgent if s.id == situation).says.get(reply.language)
    heading = responder.kb.message("urgent_contacts", reply.language)
    assert reply.text.startswith(says + "\n\n" + heading + "\n" + responder.contacts_text(reply.language))


@pytest.mark.parametrize(
    "text", ["human trafficking asean", "Can my employer keep my passport?", "kerja paksa dan upah tidak dibayar"]
)
def test_questions_about_the_same_topics_are_not_urgent(responder: Responder, text: str) -> None:
    """Asking about trafficking or passports in general is a question, answered as one."""
    assert responder.respond(text).kind == "answer"


def test_configured_contacts_replace_the_placeholder(kb: KnowledgeBase) -> None:
    """The deploying organisation's contacts from the config are what a worker in danger sees first."""
    responder = Responder(kb, contacts={"en": "HOTLINE-A", "id": "HOTLINE-B"})
    assert responder.respond("help, I am locked in").text.split("\n")[3] == "HOTLINE-A"
    assert responder.respond("saya dikurung majikan").text.split("\n")[3] == "HOTLINE-B"
    assert "[CONTACT" not in responder.respond("help, I am locked in").text


def test_a_crisis_comes_first_with_the_crisis_line(kb: KnowledgeBase) -> None:
    """Suicide talk is named first and shows the crisis line before the general contacts."""
    responder = Responder(
        kb, contacts={"en": "HOTLINE", "id": "HOTLINE"}, crisis_contacts={"en": "CRISIS", "id": "KRISIS"}
    )
    reply = responder.respond("my boss hits me every day and i want to kill myself")
    assert reply.situations[:2] == ["self-harm", "violence"]
    assert reply.text.index("CRISIS") < reply.text.index("HOTLINE")
    assert responder.respond("sy dipukul terus, pengen bunuh diri aja").text.index("KRISIS") > 0


def test_other_situations_do_not_show_the_crisis_line(kb: KnowledgeBase) -> None:
    """The crisis line is for a crisis; a confiscated passport gets the organisation's contacts."""
    responder = Responder(
        kb, contacts={"en": "HOTLINE", "id": "HOTLINE"}, crisis_contacts={"en": "CRISIS", "id": "KRISIS"}
    )
    reply = responder.respond("my boss keep my passport and say I cannot go home")
    assert reply.kind == "urgent" and "CRISIS" not in reply.text and "HOTLINE" in reply.text


def test_the_fallback_shows_the_configured_contacts(kb: KnowledgeBase) -> None:
    """No placeholder reaches a worker: the fallback's referral carries the configured contacts."""
    responder = Responder(kb, contacts={"en": "HOTLINE-A", "id": "HOTLINE-B"})
    reply = responder.respond("what is the minimum wage in brunei for gardeners")
    assert reply.kind == "fallback" and reply.text.endswith("HOTLINE-A") and "[CONTACT" not in reply.text


@pytest.mark.parametrize(
    ("text", "language"),
    [("tolong sy dikunci di rmh", "id"), ("kena pukul dgn tauke semalam, tolong", "id"),
     ("help me pls boss hit me", "en")],
)  # fmt: skip
def test_urgent_replies_are_in_the_workers_language(responder: Responder, text: str, language: str) -> None:
    """Indonesian and Malay get the Indonesian reply, English the English one."""
    assert responder.respond(text).language == language


def test_a_question_about_another_year_gets_the_dated_answer_said_to_be_dated(responder: Responder) -> None:
    """ "Minister in 2023": one plain line that the sources say nothing for 2023, then 2015's fact as 2015's."""
    reply = responder.respond("Who was Indonesia's Minister of Manpower in 2023?")
    assert reply.kind == "dated" and reply.entry_id == "hanif-dhakiri"
    lead, rest = reply.text.split("\n\n", 1)
    assert lead == "The sources for this answer say nothing about 2023. What they do say, from June 2015 or earlier:"
    assert "Manpower Minister in June 2015" in rest and "say nothing about him after June 2015" in rest
    assert "Sources:" in rest


def test_a_question_about_now_says_where_the_sources_stop(responder: Responder) -> None:
    """ "Who is the minister now" (either language) is told where the sources stop, never a current minister."""
    english = responder.respond("who is the minister of manpower now")
    assert english.kind == "dated"
    assert english.text.startswith("The sources for this answer stop at June 2015: they say nothing about today.")
    indonesian = responder.respond("siapa menaker sekarang")
    assert indonesian.kind == "dated" and indonesian.language == "id"
    assert indonesian.text.startswith("Sumber-sumber untuk jawaban ini berhenti pada Juni 2015")


@pytest.mark.parametrize(
    ("question", "entry", "dated", "later"),
    [
        ("Who leads Indonesia's Ministry of Manpower?", "ministry-of-manpower", "June 2015",
         "say nothing about who leads the ministry today"),
        ("How many countries are in ASEAN?", "asean", "June 2015", "say nothing later about how many members"),
        ("What is the ASEAN Economic Community?", "asean-economic-community", "June 2015", "say nothing later"),
    ],
)  # fmt: skip
def test_dated_facts_are_never_stated_as_current(
    responder: Responder, question: str, entry: str, dated: str, later: str
) -> None:
    """Who leads the ministry, ASEAN's size, the AEC: the fact with its date and that the sources stop there."""
    reply = responder.respond(question)
    assert reply.kind == "answer" and reply.entry_id == entry
    assert dated in reply.text and later in reply.text


def test_what_the_consensus_covers_is_said_where_a_worker_acts_on_it(responder: Responder) -> None:
    """The passport and trade-union answers say the Consensus is not binding and is not applied outside ASEAN."""
    for question in ("Can my employer keep my passport?", "Can migrant workers join a trade union?"):
        reply = responder.respond(question)
        assert reply.kind == "answer", question
        assert "not legally binding" in reply.text and "outside ASEAN" in reply.text


def test_sentences_that_point_to_one_entry_answer_together(responder: Responder) -> None:
    """A second sentence ("bener gak? trus siapa…") no longer spreads the message over several entries."""
    reply = responder.respond(
        "sy baca katanya ada perjanjian ASEAN soal hak pekerja migran yg blm ditandatangani, bener gak? "
        "trus siapa yg nyatakan keprihatinan?"
    )
    assert reply.kind == "answer" and reply.entry_id == "unsigned-agreement"


def test_a_sentence_naming_what_the_answer_lacks_keeps_the_message_unsure(responder: Responder) -> None:
    """Each sentence may pick the entry, but a place named in another one still holds the answer back."""
    reply = responder.first_pass("konferensi inspeksi ketenagakerjaan ASEAN yg ke-12 itu diadain dimana? di jakarta?")
    assert reply.kind == "suggestions"


def test_sentences_pointing_to_different_entries_are_not_answered_as_one(responder: Responder) -> None:
    """Two questions about two entries ("…menurut pak menteri? ada soal anak2 jg kan?") get suggestions."""
    reply = responder.first_pass(
        "apa aja yg udah dilakuin 10 negara ASEAN buat lindungin TKI menurut pak menteri? ada soal anak2 jg kan?"
    )
    assert reply.kind == "suggestions"


@pytest.mark.parametrize(
    "text",
    [
        "besides the ILO, which international organisations attended the Bali conference?",
        "selain ILO siapa lagi yang hadir di konferensi nusa dua",
    ],
)
def test_what_an_exclusion_word_sets_aside_is_not_the_topic(responder: Responder, text: str) -> None:
    """ "Besides the ILO, which organisations…" asks about the others: not the ILO's entry."""
    reply = responder.respond(text)
    assert reply.kind == "answer" and reply.entry_id == "conference-participants"


def test_a_question_about_the_time_since_a_source_gets_the_dated_reply(responder: Responder) -> None:
    """ "…since 2017?" asks about a later time than the sources: their fact, said to be dated, not an answer."""
    reply = responder.respond("Has the ASEAN Consensus been turned into a legally binding treaty since 2017?")
    assert reply.kind == "dated"


def test_contractions_leave_no_stray_letters(responder: Responder) -> None:
    """ "I'm", "we're", "they've" split into a word and a letter; the letter is no unknown word to weigh."""
    normalizer = responder.normalizer
    content = normalizer.content(normalizer.tokens("I'm asking because we're told they've signed it themselves"))
    assert not {"m", "re", "ve", "themselves"} & set(content)
