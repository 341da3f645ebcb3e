"""The urgency detector (bot.urgency): how it reads words, and the gate that tells a danger now
from a question, a story or a joke. Recall and false alarms on whole sets are in test_quality.py."""

from __future__ import annotations

import pytest

from bot.answer import Responder
from bot.schema import Localized, Urgent
from bot.urgency import CUES, UrgencyDetector, _slip, english_stems, split_words


def _situations(responder: Responder, text: str) -> list[str]:
    return [s.id for s in responder.urgency.detect(text).situations]


def test_words_are_split_with_contractions_and_signs() -> None:
    """ "n't" is a negation, "i'm" is "i am", "!!!" and "?" and emoji are words, commas end clauses."""
    assert split_words("I can't, I'm scared!!! 😭?") == ["i", "can", "not", "|", "i", "am", "scared", "!!", "😭", "?"]


def test_chat_reduplication_is_two_words() -> None:
    """ "pegang2" is "pegang pegang", as the word lists write it."""
    assert split_words("dia pegang2 sy") == ["dia", "pegang", "pegang", "sy"]


def test_english_endings_come_off() -> None:
    """Word lists hold base forms; "locked", "beats" and "hitting" reach them."""
    assert "lock" in english_stems("locked")
    assert english_stems("takes") == {"take"}  # not "tak", an Indonesian negation
    assert "beat" in english_stems("beats")
    assert "hit" in english_stems("hitting")


@pytest.mark.parametrize(
    ("text", "situation"),
    [("gue digebukin mandor td", "violence"), ("majikan memukuli saya tiap hari", "violence"),
     ("sy dikurung di kamar", "confinement"), ("my pasport employer keep", "passport-taken")],
)  # fmt: skip
def test_affixes_and_typos_reach_the_listed_roots(responder: Responder, text: str, situation: str) -> None:
    """Indonesian affixes (di-…-in, me-…-i) and misspellings still find the listed word."""
    assert situation in _situations(responder, text)


def test_a_negation_before_the_word_cancels_it(responder: Responder) -> None:
    """ "tidak pernah memukul" is not a beating."""
    assert _situations(responder, "majikan saya tidak pernah memukul saya") == []
    assert _situations(responder, "majikan saya memukul saya") == ["violence"]


def test_a_rule_that_names_not_keeps_its_negation(responder: Responder) -> None:
    """Unpaid wages are a wage and a negation: the negation is the evidence there."""
    assert _situations(responder, "gaji sy blm dibayar 7 bln") == ["unpaid-months"]


def test_concepts_of_one_rule_must_be_close(responder: Responder) -> None:
    """A wage and a question tag eight words later are not unpaid wages."""
    assert _situations(responder, "gaji saya di taiwan dipotong agen terus, normal ga?") == []


def test_a_phrase_does_not_reach_across_a_comma(responder: Responder) -> None:
    """ "in his safe, now" is not "safe now": the passport is still held."""
    text = "boss keep all our passport in his safe, now he say whoever want go back must pay RM3000"
    assert _situations(responder, text) == ["passport-taken"]


def test_ignored_phrases_are_no_evidence(responder: Responder) -> None:
    """ "pukul 4" is four o'clock and a phone about to die is no person about to die."""
    assert _situations(responder, "sy disuruh bangun pukul 4") == []
    assert "self-harm" not in _situations(responder, "hp sy mau mati, agen ga jemput di bandara")


@pytest.mark.parametrize(
    ("text", "veto"),
    [("sy lg riset ttg TKW yg dipukul majikan, ada data dr ILO ga", "research"),
     ("baca berita pasal pembantu rumah kena dera kat pulau pinang", "research"),
     ("my boss is killing me lol so many reports today", "joke"),
     ("dulu gaji sy pernah gk dibayar 3 bln tp skrg udah dibayar", "resolved"),
     ("last year my agency hold my passport, they return it when i change employer", "resolved"),
     ("dulu aku pernah kena tahan imigresen sebab permit tamat", "past"),
     ("what should I do if my employer takes my passport?", "hypothetical"),
     ("bolehkah majikan menahan paspor pekerja?", "question"),
     ("can my employer keep my passport under the asean consensus", "question")],
)  # fmt: skip
def test_the_gate_sets_aside_what_is_not_an_emergency_now(responder: Responder, text: str, veto: str) -> None:
    """Research, news, jokes, resolved and past stories, hypotheticals and policy questions are not urgent."""
    detection = responder.urgency.detect(text)
    assert detection.described and not detection.urgent
    assert detection.vetoed_by == veto


def test_no_news_is_not_a_news_story(responder: Responder) -> None:
    """A negated cue does not count: "no news" of a detained brother is still an emergency."""
    assert "detained" in _situations(responder, "my brother in depot imigresen 2 month already, no news, he is sick")


def test_a_call_for_help_outweighs_a_joke(responder: Responder) -> None:
    """ "tolong" says the sender means it."""
    assert _situations(responder, "haha tolong majikan pukul saya") == ["violence"]


def test_explicit_suicide_words_are_never_a_joke(responder: Responder) -> None:
    """A laugh does not hide "bunuh diri"; "mau mati rasanya wkwk" is tiredness."""
    assert _situations(responder, "pengen bunuh diri aja wkwk") == ["self-harm"]
    assert _situations(responder, "capek bgt mau mati rasanya wkwk") == []


def test_a_threat_with_if_is_still_a_threat(responder: Responder) -> None:
    """ "if" after the danger is a threat, not a hypothetical."""
    assert "violence" in _situations(responder, "sir he said he will kill me if i run. what i do")


def test_crisis_situations_come_first(responder: Responder) -> None:
    """Self-harm is named before anything else the message describes."""
    assert _situations(responder, "majikan pukul saya terus, sy mau bunuh diri")[0] == "self-harm"


def test_the_detection_names_its_evidence(responder: Responder) -> None:
    """Moderators and eval -v can see which words made the decision."""
    detection = responder.urgency.detect("majikan simpan pasport aku")
    assert detection.evidence["document"] == ["pasport"] and detection.evidence["hold"] == ["simpan"]


def test_an_admin_word_list_is_all_it_takes() -> None:
    """A situation defined only in data is recognised; no code knows its words."""
    cues = {name: ["zzz-unused"] for name in CUES}
    fire = Urgent(id="fire", says=Localized(en="Fire.", id="Api."), when=[["flames"]])
    detector = UrgencyDetector({**cues, "flames": ["kebakaran", "on fire"]}, [fire])
    assert [s.id for s in detector.detect("rumah majikan kebakaran").situations] == ["fire"]
    assert detector.detect("the house is on fire").urgent
    assert not detector.detect("the house is fine").urgent


def test_invisible_characters_do_not_hide_a_word(responder: Responder) -> None:
    """A zero-width space or soft hyphen inside "memukul" is not a word break."""
    assert _situations(responder, "majikan memu\u00adkul saya") == ["violence"]
    assert _situations(responder, "my boss h\u200bit me") == ["violence"]


def test_a_danger_told_after_500_characters_is_heard(responder: Responder) -> None:
    """Matching reads the first 500 characters; the urgency detector reads the whole message."""
    story = "sy mau cerita panjang ya mbak, kerja di sini berat tapi sy sabar. " * 9
    reply = responder.respond(story + "sekarang dia pukul saya tiap hari, tolong")
    assert len(story) > 500 and reply.kind == "urgent" and reply.situations == ["violence"]


@pytest.mark.parametrize("text", ["sy lagi ngurus visa kerja", "anak majikan baru pulang dari luar negeri"])
def test_everyday_words_that_look_like_danger_are_not(responder: Responder, text: str) -> None:
    """ "ngurus" (to arrange) is not "kurus" (thin); coming back from abroad is not being locked in."""
    assert _situations(responder, text) == []


def test_a_post_once_held_is_not_a_detention(responder: Responder) -> None:
    """ "the post he held at the time" is a question about a job; "is held at the depot" is detention."""
    assert _situations(responder, "for our report: who spoke for Indonesia, and what post he held at the time?") == []
    assert _situations(responder, "my brother is held at the immigration depot") == ["detained"]


def test_an_everyday_word_is_not_a_misspelt_danger(responder: Responder) -> None:
    """ "beach" is a word of its own, not a slip for "bleach"; "drink bleech" still is one."""
    assert _situations(responder, "can you recommend a beach hotel in nusa dua for my honeymoon") == []
    assert "self-harm" in _situations(responder, "i want to drink bleech and end my life")


def test_malaysian_x_glued_to_a_word_is_a_negation(responder: Responder) -> None:
    """ "xbagi gaji" reads as "tak bagi gaji" (wages withheld); "x" alone is "tak" too."""
    assert _situations(responder, "tauke xbagi gaji dah 4 bulan") == ["unpaid-months"]
    assert _situations(responder, "kami x dapat gaji 5 bulan") == ["unpaid-months"]


def test_one_named_boss_is_not_a_topic(responder: Responder) -> None:
    """Policy words with a named boss and no question are a report; without one, a topic."""
    assert _situations(responder, "tauke ambil hp semua pekerja kilang, tak boleh keluar") == ["confinement"]
    detection = responder.urgency.detect("majikan ambil hp pekerja migran")
    assert detection.described and detection.vetoed_by == "question"


def test_a_negation_counts_only_in_its_own_clause(responder: Responder) -> None:
    """ "never rude, salary always on time" is not unpaid wages; "gaji belum dibayar" in one clause is."""
    assert not responder.urgency.detect("majikan sy ga pernah marah2, gaji dapat tiap bulan").described
    assert _situations(responder, "gaji sy belum dibayar majikan 4 bulan") == ["unpaid-months"]


def test_a_negative_phrase_is_not_cancelled_by_an_earlier_negation(responder: Responder) -> None:
    """ "selagi tak langsai, tak boleh berhenti": the second "tak" starts the phrase; the first does not undo it."""
    assert _situations(responder, "ejen kata hutang tak langsai tak boleh berhenti kerja") == ["debt-bondage"]


def test_a_later_again_does_not_reopen_a_past_story(responder: Responder) -> None:
    """ "dulu … terlantar … mau berangkat lagi": "lagi" far from the danger is about the new trip."""
    text = (
        "dulu sy pernah terlantar di bandara sehari, tp besoknya dijemput agen. "
        "sekarang sy mau berangkat kerja ke luar negeri lagi"
    )
    detection = responder.urgency.detect(text)
    assert detection.described and detection.vetoed_by == "past"


def test_now_after_a_past_word_moves_the_story_to_now(responder: Responder) -> None:
    """ "tanya dulu soal cuti… last night he slapped me": "dulu" (first) does not make it a past story."""
    text = "mau tanya dulu soal cuti, tapi sebenarnya semalam majikan tampar sy"
    assert _situations(responder, text) == ["violence"]


def test_typos_are_slips_not_other_words() -> None:
    """A swapped or neighbouring letter is a typo; one unrelated letter changed is another word."""
    assert _slip("pasprot", "pasport") and _slip("majiakn", "majikan") and _slip("ngancem", "ngancam")
    assert not _slip("pinggan", "pingsan")


def test_no_news_is_missing_only_about_a_person(responder: Responder) -> None:
    """ "no news for two weeks" about a relative is urgent; about the agent's paperwork it is not."""
    assert _situations(responder, "istri saya sudah 3 minggu tidak ada kabar") == ["missing-person"]
    assert not responder.urgency.detect("agen urus visa sy, udh 2 minggu blm ada kabar").described


def test_an_if_inside_a_story_happening_now_is_not_a_hypothetical(responder: Responder) -> None:
    """ "only if she pays… he threatens her every day. What can she do?" is a danger now, not a what-if."""
    text = "my sister says she gets her passport back only if she pays, he threatens her every day. what can she do?"
    assert "violence" in _situations(responder, text)


def test_playing_a_trouble_down_is_noted_but_vetoes_nothing(responder: Responder) -> None:
    """ "tp gpp" marks a message as settling; a beating told with it is still an emergency."""
    beaten = responder.urgency.detect("majikan pukul sy tiap hari tp gpp")
    fussy = responder.urgency.detect("mem sy cerewet, nak lantai berkilat hari2. takpe lah")
    assert beaten.urgent and beaten.settling
    assert fussy.settling and not fussy.urgent
    assert not responder.urgency.detect("majikan cerewet, sy penat").settling
