"""Daily digests: who wants them daily gets one per day with what they were told, nothing at
once; twice equals once, and order does not matter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from random import Random
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from headcount.notifications import (
    EVENT_KINDS,
    Delivery,
    Notification,
    Recipient,
    daily_digests,
    immediate,
)

PEOPLE = [Recipient("alice", "alice@example.com"), Recipient("bob", "bob@example.com"),
          Recipient("carol", "carol@example.com")]
START = datetime(2026, 3, 2, tzinfo=UTC)

notifications = st.builds(
    Notification,
    kind=st.sampled_from([k for k in EVENT_KINDS if k != "digest"]),
    recipients=st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=3, unique=True).map(tuple),
    subject=st.sampled_from(["Review Dupont Marie", "Escalated: Martin Paul", "Decided"]),
    body=st.just("…"),
    link=st.sampled_from(["/tasks/1", "/tasks/2"]),
    created=st.integers(0, 3 * 24 * 60).map(lambda m: START + timedelta(minutes=m)),
    payload=st.fixed_dictionaries({"task": st.integers(1, 3)}),
)
preferences = st.fixed_dictionaries(
    {p.user: st.sampled_from(list(Delivery)) for p in PEOPLE})


@given(st.lists(notifications, max_size=12), preferences, st.randoms())
def test_twice_equals_once_in_any_order(ns: list[Notification], prefs: dict[str, Delivery],
                                        random: Random) -> None:
    once = daily_digests(ns, prefs)
    twice = [*ns, *ns]
    random.shuffle(twice)
    assert daily_digests(twice, prefs) == once


@given(st.lists(notifications, max_size=12), preferences)
def test_each_is_told_once_now_or_in_the_digest_of_its_day(
        ns: list[Notification], prefs: dict[str, Delivery]) -> None:
    told_now = {(r.user, n.subject, n.link, n.created) for n in immediate(ns, prefs)
                for r in n.recipients}
    digests = daily_digests(ns, prefs)
    in_digests = [(d.recipients[0].user, item["subject"], item["link"], item["created"])
                  for d in digests for item in d.payload["items"]]
    expected_now = {(r.user, n.subject, n.link, n.created) for n in ns for r in n.recipients
                    if prefs[r.user] is Delivery.IMMEDIATE}
    expected_later = {(r.user, n.subject, n.link, n.created.isoformat())
                      for n in ns for r in n.recipients if prefs[r.user] is Delivery.DAILY}
    assert told_now == expected_now
    assert set(in_digests) == expected_later
    assert len({(d.recipients, d.payload["day"]) for d in digests}) == len(digests)
    for d in digests:
        (who,) = d.recipients
        assert prefs[who.user] is Delivery.DAILY
        assert all(item["created"][:10] == d.payload["day"] for item in d.payload["items"])


def test_a_digest_lists_the_day_oldest_first() -> None:
    alice = PEOPLE[0]

    def told(hour: int, subject: str, link: str) -> Notification:
        return Notification("task_assigned", (alice,), subject, "…", link,
                            START + timedelta(hours=hour), {"task": int(link[-1])})

    ns = [told(15, "Review Martin Paul", "/tasks/8"), told(9, "Review Dupont Marie", "/tasks/7"),
          told(23, "Review Durand Léa", "/tasks/9")]
    (monday, tuesday) = daily_digests(ns, {"alice": Delivery.DAILY},
                                      timezone=ZoneInfo("Europe/Paris"),
                                      base_url="https://hc.example.com")
    assert monday.kind == "digest"
    assert monday.recipients == (alice,)
    assert monday.subject == "headcount: 2 notifications of 2026-03-02"
    assert monday.body == (
        "headcount: 2 notifications of 2026-03-02.\n\n"
        "- Review Dupont Marie\n  https://hc.example.com/tasks/7\n"
        "- Review Martin Paul\n  https://hc.example.com/tasks/8")
    assert monday.link == "/tasks"
    assert monday.created == START + timedelta(hours=15)
    # 23:00 UTC is already Tuesday in Paris.
    assert tuesday.subject == "headcount: 1 notification of 2026-03-03"
    assert [item["subject"] for item in tuesday.payload["items"]] == ["Review Durand Léa"]
    assert immediate(ns, {"alice": Delivery.DAILY}) == []
    assert immediate(ns, {}) == ns  # no preference: at once
