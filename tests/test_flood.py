"""The per-user flood limit (bot.flood), with a fake clock."""

from bot.flood import FloodGate


def test_limit_then_one_notice_then_silence() -> None:
    """Up to the limit messages pass; the next gets one notice; the rest are dropped."""
    gate = FloodGate(limit=3, window=60)
    verdicts = [gate.check("u", now=float(i)) for i in range(6)]
    assert verdicts == ["allow", "allow", "allow", "notify", "drop", "drop"]


def test_window_passing_lets_messages_through_again() -> None:
    """Once the oldest messages leave the window the user is heard again, and can be warned again."""
    gate = FloodGate(limit=2, window=60)
    assert [gate.check("u", t) for t in (0, 1, 2)] == ["allow", "allow", "notify"]
    assert gate.check("u", 60.5) == "allow"
    assert gate.check("u", 61.5) == "allow"
    assert gate.check("u", 62) == "notify"


def test_users_are_independent() -> None:
    """One user's flood does not silence another."""
    gate = FloodGate(limit=1, window=60)
    assert gate.check("a", 0) == "allow"
    assert gate.check("a", 1) == "notify"
    assert gate.check("b", 1) == "allow"


def test_prune_forgets_quiet_users() -> None:
    """Keys whose window has passed are dropped, so memory stays bounded."""
    gate = FloodGate(limit=5, window=60)
    gate.check("a", 0)
    gate.check("b", 50)
    gate.prune(now=70)
    assert set(gate._times) == {"b"}


def test_memory_is_pruned_as_it_goes() -> None:
    """Quiet users are forgotten every PRUNE_EVERY checks, without anyone calling prune()."""
    gate = FloodGate(limit=5, window=60)
    for user in range(FloodGate.PRUNE_EVERY - 1):
        gate.check(f"user{user}", now=0)
    gate.check("late", now=120)  # the thousandth check, two minutes later
    assert set(gate._times) == {"late"}
