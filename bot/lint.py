"""Warnings about a valid knowledge base: things that still make the bot answer worse.

Errors (the knowledge base cannot be used) come from :mod:`bot.knowledge`; these are the things an
admin should fix but that never stop the bot:

* two entries with phrasings so close that users would get the wrong one;
* an entry that its own phrasings do not retrieve as the top answer;
* a source that no entry cites;
* a phrasing shorter than two words;
* an example of an urgent situation that the urgency detector does not recognise as that situation.
"""

from __future__ import annotations

from bot.answer import Responder
from bot.problems import Problem
from bot.schema import LANGS


def lint(responder: Responder) -> list[Problem]:
    return sorted([
        *_confusable(responder), *_not_retrieved(responder), *_uncited(responder), *_too_short(responder),
        *_urgent_examples(responder),
    ])  # fmt: skip


def _warning(responder: Responder, key: tuple[str, ...], message: str) -> Problem:
    path, line = responder.kb.where(*key)
    return Problem(path, line, message, "warning")


def _phrasings(responder: Responder) -> list[tuple[str, str, int, str]]:
    """(entry id, language, index, text) for every phrasing."""
    return [
        (entry.id, lang, index, text)
        for entry in responder.kb.entries.values()
        for lang in LANGS
        for index, text in enumerate(entry.questions.get(lang))
    ]


def _confusable(responder: Responder) -> list[Problem]:
    """A phrasing whose entry wins by less than the answer margin: users asking it get "Did you
    mean…?" at best, and a slightly different wording gets them the other entry."""
    margin = responder.matcher.thresholds.margin
    problems = []
    for entry_id, lang, index, text in _phrasings(responder):
        candidates = responder.matcher.match(text).candidates
        if len(candidates) < 2 or candidates[0].entry_id != entry_id:
            continue
        rival = candidates[1]
        if candidates[0].score - rival.score < margin:
            problems.append(_warning(
                responder, ("phrasing", entry_id, lang, str(index)),
                f"entries '{entry_id}' and '{rival.entry_id}' are too close for users to get the right one: "
                f"{text!r} ~ {rival.phrasing!r} ({candidates[0].score:.0f} vs {rival.score:.0f}); "
                "reword one or merge the entries",
            ))  # fmt: skip
    return problems


def _not_retrieved(responder: Responder) -> list[Problem]:
    problems = []
    for entry_id, lang, index, text in _phrasings(responder):
        best = responder.matcher.match(text).best
        if best is None or best.entry_id != entry_id:
            got = f"'{best.entry_id}'" if best else "nothing"
            problems.append(_warning(
                responder, ("phrasing", entry_id, lang, str(index)),
                f"entry '{entry_id}': its phrasing {text!r} retrieves {got} instead",
            ))  # fmt: skip
    return problems


def _uncited(responder: Responder) -> list[Problem]:
    kb = responder.kb
    cited = {source for entry in kb.entries.values() for source in entry.sources}
    return [
        _warning(responder, ("source", source), f"source '{source}' is not cited by any entry")
        for source in kb.sources
        if source not in cited
    ]


def _too_short(responder: Responder) -> list[Problem]:
    return [
        _warning(responder, ("phrasing", entry_id, lang, str(index)),
                 f"entry '{entry_id}': phrasing {text!r} is shorter than two words; users need more to go on")
        for entry_id, lang, index, text in _phrasings(responder)
        if len(text.split()) < 2
    ]  # fmt: skip


def _urgent_examples(responder: Responder) -> list[Problem]:
    """Each situation's examples show admins that the words they edit still recognise it."""
    problems = []
    for situation in responder.kb.urgent:
        for example in situation.examples:
            detection = responder.urgency.detect(example)
            if situation not in detection.situations:
                why = f"set aside as {detection.vetoed_by}" if detection.vetoed_by else "no situation recognised"
                if detection.situations:
                    why = "recognised as " + ", ".join(f"'{s.id}'" for s in detection.situations)
                problems.append(_warning(
                    responder, ("urgent", situation.id),
                    f"urgent '{situation.id}': example {example!r} is not recognised ({why}); "
                    "add its words to urgent_words",
                ))  # fmt: skip
    return problems
