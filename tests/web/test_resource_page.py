"""The resource page (SPEC §12, issue 12): titled by the resource's name and its entity type, its
links by their targets' names with the keys beside, "Linked from" paged and filtered by name."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.repository.schema import links, resources
from webproject import login, sample_app

HTML = {"Accept": "text/html"}


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> Iterator[FastAPI]:
    with sample_app(tmp_path, db_url, people=200) as application:
        yield application


def _values(app: FastAPI, entity_type: str, key: str) -> dict[str, str]:
    with app.state.headcount.engine.connect() as conn:
        data = conn.execute(sa.select(resources.c.data).where(
            resources.c.entity_type == entity_type, resources.c.key == key)).scalar_one()
    values: dict[str, str] = json.loads(data)
    return values


def _linked(app: FastAPI, navigation: str) -> list[tuple[str, str]]:
    """(source key, target key) of every link of `navigation`."""
    source, target = resources.alias("s"), resources.alias("t")
    with app.state.headcount.engine.connect() as conn:
        rows = conn.execute(sa.select(source.c.key, target.c.key)
                            .join(source, source.c.id == links.c.source_id)
                            .join(target, target.c.id == links.c.target_id)
                            .where(links.c.navigation == navigation)).all()
    return [(s, t) for s, t in rows]


def _folded(text: str) -> str:
    """Accents and case ignored, as the page sorts and filters names."""
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c)).casefold()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_person_page_names_its_manager_and_organization(app: FastAPI) -> None:
    client = TestClient(app)
    login(client, "view")
    person, manager = next(iter(_linked(app, "HR_Person.Manager")))
    organization = dict(_linked(app, "HR_Person.Organization"))[person]
    me = _values(app, "HR_Person", person)
    boss = _values(app, "HR_Person", manager)
    org = _values(app, "HR_Organization", organization)

    page = client.get(f"/entity-types/HR_Person/{person}", headers=HTML)
    assert page.status_code == 200, page.text
    html = page.text
    name = f"{me['LastName']} {me['FirstName']}"
    assert f"<title>{name} — Person · headcount</title>" in html
    assert f'<h1>{name} <span class="key">{person}</span></h1>' in html
    boss_name = f"{boss['LastName']} {boss['FirstName']}"
    assert (f'<a href="/entity-types/HR_Person/{manager}">{boss_name}</a> '
            f'<span class="key">{manager}</span>') in html
    assert f'aria-label="Open {boss_name}"' in html
    assert (f'<a href="/entity-types/HR_Organization/{organization}">{org["Name"]}</a> '
            f'<span class="key">{organization}</span>') in html
    # Property labels are display names, never identifiers.
    assert "<dt>Contract start date</dt>" in html
    assert "ContractStartDate" not in _text(html)


def test_an_identity_record_uses_display_names(app: FastAPI) -> None:
    client = TestClient(app)
    login(client, "view")
    record, identity = next(iter(_linked(app, "Directory_UserRecord.User")))
    values = _values(app, "Directory_User", identity)
    html = client.get(f"/entity-types/Directory_UserRecord/{record}", headers=HTML).text
    for label in ("Contract start date", "Record identifier", "Position start date"):
        assert f"<dt>{label}</dt>" in html
    assert "ContractStartDate" not in _text(html)
    # The identity is its person's name (`{FirstName} {LastName}` in the sample).
    assert (f'<a href="/entity-types/Directory_User/{identity}">'
            f'{values["FirstName"]} {values["LastName"]}</a>') in html


def test_linked_from_is_paged_and_filtered_by_name(app: FastAPI) -> None:
    client = TestClient(app)
    login(client, "view")
    members: dict[str, list[str]] = {}
    for person, organization in _linked(app, "HR_Person.Organization"):
        members.setdefault(organization, []).append(person)
    organization, persons = max(members.items(), key=lambda item: len(item[1]))
    assert len(persons) > 20, "the sample has an organization of more than one page"
    names = {}
    for key in persons:
        values = _values(app, "HR_Person", key)
        names[key] = f"{values['LastName']} {values['FirstName']}"

    url = f"/entity-types/HR_Organization/{organization}"
    html = client.get(url, headers=HTML).text
    block = html[html.index('id="linked-HR_Person-Organization"'):]
    block = block[:block.index("</div>")]
    assert f'<span class="count">{len(persons)}</span>' in block
    shown = re.findall(r'<a href="/entity-types/HR_Person/([^"]+)">', block)
    assert len(shown) == 20
    by_name = sorted(persons, key=lambda k: (_folded(names[k]), k))
    assert shown == by_name[:20]
    assert f"Page 1 of {-(-len(persons) // 20)}" in block

    # The next page, as a whole page (no script) and as the htmx fragment.
    second = client.get(url, params={"linked": "HR_Person.Organization", "lpage": 2},
                        headers=HTML).text
    assert re.findall(r'<a href="/entity-types/HR_Person/([^"]+)">',
                      second[second.index('id="linked-HR_Person-Organization"'):]
                      )[:20] == by_name[20:40]
    resource_id = re.search(r'/resources/(\d+)/linked-from', html)
    assert resource_id is not None
    fragment = client.get(f"/resources/{resource_id.group(1)}/linked-from",
                          params={"linked": "HR_Person.Organization", "lpage": 2},
                          headers={**HTML, "HX-Request": "true"})
    assert fragment.status_code == 200, fragment.text
    assert "<nav" not in fragment.text.split('class="linked-from"')[0]  # no left menu
    assert re.findall(r'<a href="/entity-types/HR_Person/([^"]+)">',
                      fragment.text) == by_name[20:40]

    # A filter over names, words in any order, case and accents ignored.
    target = by_name[-1]
    last, first = names[target].split(" ", 1)
    wanted = f"{first.upper()} {last.lower()}"
    filtered = client.get(f"/resources/{resource_id.group(1)}/linked-from",
                          params={"linked": "HR_Person.Organization", "lq": wanted},
                          headers=HTML).text
    found = re.findall(r'<a href="/entity-types/HR_Person/([^"]+)">', filtered)
    assert target in found
    assert all(set(_folded(wanted).split()) <= set(_folded(f"{names[k]} {k}").split())
               for k in found)
    by_key = client.get(url, params={"linked": "HR_Person.Organization", "lq": target},
                        headers=HTML).text
    assert re.findall(r'<a href="/entity-types/HR_Person/([^"]+)">',
                      by_key[by_key.index('id="linked-HR_Person-Organization"'):]
                      )[:1] == [target]
    nothing = client.get(f"/resources/{resource_id.group(1)}/linked-from",
                         params={"linked": "HR_Person.Organization", "lq": "zzzz"},
                         headers=HTML).text
    assert "None matches." in nothing


def test_linked_from_of_an_unknown_navigation_is_not_found(app: FastAPI) -> None:
    client = TestClient(app)
    login(client, "view")
    answer = client.get("/resources/1/linked-from", params={"linked": "Nothing.Here"},
                        headers=HTML)
    assert answer.status_code == 404


def test_a_person_page_shows_dates_as_days_in_the_readers_language(app: FastAPI) -> None:
    client = TestClient(app)
    login(client, "view")
    key = "E00002"
    started = _values(app, "HR_Person", key)["ContractStartDate"]
    page = client.get(f"/entity-types/HR_Person/{key}", headers=HTML).text
    assert started not in _text(page)
    french = client.get(f"/entity-types/HR_Person/{key}",
                        headers={**HTML, "Accept-Language": "fr"}).text
    day = int(started[8:10])
    assert re.search(rf"\b{day} \w+\.? {started[:4]}\b", _text(french)), started
