"""Every list is paged: a page holds at most ENTRIES_PER_PAGE items, counted by the database,
and the pages together list each item once, in a stable order."""
from __future__ import annotations

import re

import pytest

from commons.accounts.models import Role
from commons.extensions import db
from commons.kinds import EntryKind
from commons.lineage.services import carry_entries

PER_PAGE = 3


@pytest.fixture
def app_config(app_config):
    return {**app_config, "ENTRIES_PER_PAGE": PER_PAGE}


@pytest.fixture
def many(make_edition, make_workshop, make_entry):
    """Seven valeurs tagged "posture" over two editions and two workshops, one without workshop,
    and a parent with a sub-item: enough for three pages."""
    e23, e24 = make_edition(2023), make_edition(2024)
    w23, w24 = make_workshop(e23), make_workshop(e24)
    titles = []
    for edition, workshop, n in ((e23, w23, 3), (e24, w24, 2), (e24, None, 1)):
        for i in range(n):
            title = f"Valeur {edition.year} {workshop.slug if workshop else 'hors atelier'} {i}"
            make_entry(edition, title, workshop=workshop, position=i, tags=["posture"])
            titles.append(title)
    parent = make_entry(e23, "Valeur parente", workshop=w23, position=9, tags=["posture"])
    titles.append("Valeur parente")
    return {"e23": e23, "e24": e24, "w23": w23, "w24": w24, "titles": titles, "parent": parent}


def listed(html: str) -> list[str]:
    return re.findall(r'class="entry-card-title"><a href="/fiches/\d+">([^<]+)</a>', html)


@pytest.mark.parametrize("path", ["/natures/valeur", "/etiquettes/posture"])
def test_kind_and_tag_pages_are_paged(client, many, path):
    pages = [client.get(f"{path}?page={n}").get_data(as_text=True) for n in (1, 2, 3)]
    seen = [title for page in pages for title in listed(page)]
    assert [len(listed(page)) for page in pages] == [3, 3, 1]
    assert sorted(seen) == sorted(many["titles"])  # each once, none lost between pages
    assert "7 fiches" in pages[0] and "page 1 sur 3" in pages[0] and 'rel="next"' in pages[0]
    assert seen[:2] == ["Valeur 2024 les-communs-de-la-mediation-numerique 0",
                        "Valeur 2024 les-communs-de-la-mediation-numerique 1"]  # newest edition first
    response = client.get(f"{path}?page=4")
    assert response.status_code == 404 and "pages 1 à 3" in response.get_data(as_text=True)


def test_workshop_outcomes_are_paged(client, many):
    url = f"/editions/nec-sud-ouest-2023/ateliers/{many['w23'].slug}"
    first, second = (client.get(f"{url}?page={n}").get_data(as_text=True) for n in (1, 2))
    assert "4 fiches" in first and "page 1 sur 2" in first
    assert "Valeur 2023" in first and "Valeur parente" in second and "Valeur parente" not in first
    assert client.get(f"{url}?page=3").status_code == 404


def test_history_is_paged(client, contributor_client, many):
    from commons.entries.services import revise_entry

    entry = many["parent"]
    for i in range(4):
        revise_entry(entry, base_revision=entry.revision_number, author=None, kind=entry.kind,
                     title=f"Valeur parente {i}", body="", tags=["posture"], workshop=entry.workshop)
    db.session.commit()
    first = client.get(f"/fiches/{entry.id}/historique").get_data(as_text=True)
    second = client.get(f"/fiches/{entry.id}/historique?page=2").get_data(as_text=True)
    assert "Version 5" in first and "Version 3" in first and "Version 2" not in first
    assert "Version 2" in second and "Version 1" in second and "5 versions enregistrées" in second
    assert client.get(f"/fiches/{entry.id}/historique?page=3").status_code == 404


def test_followup_is_paged_and_builds_forms_only_for_its_page(client, signed_in, make_user, many, make_entry):
    actions = [make_entry(many["e23"], f"Action {i}", kind=EntryKind.ACTION, workshop=many["w23"]) for i in range(4)]
    carry_entries(actions, target=many["w24"], author=None)
    db.session.commit()
    first = client.get("/actions/suivi").get_data(as_text=True)
    assert "4 actions" in first and "page 1 sur 2" in first and "Mettre à jour" not in first
    facilitator = signed_in(make_user(Role.FACILITATOR)).get("/actions/suivi?page=2").get_data(as_text=True)
    assert facilitator.count("Mettre à jour") == 1
    assert client.get("/actions/suivi?page=3").status_code == 404
