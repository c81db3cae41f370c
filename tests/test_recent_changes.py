"""The wiki's "recent changes": every revision of published entries, newest first, paged."""
import pytest

from commons.entries.models import EntryStatus
from commons.entries.services import revise_entry
from commons.extensions import db
from commons.kinds import EntryKind


@pytest.fixture
def app_config(app_config):
    return {**app_config, "ENTRIES_PER_PAGE": 3}


def edit(entry, title, author=None, summary=""):
    revise_entry(entry, base_revision=entry.revision_number, author=author, kind=entry.kind, title=title,
                 body=entry.body, tags=entry.tag_names, workshop=entry.workshop, summary=summary)
    db.session.commit()


def test_changes_are_listed_newest_first_with_author_summary_and_diff(client, entry, contributor):
    edit(entry, "Accueil inconditionnel de toutes et tous", contributor, "Formulation inclusive")
    html = client.get("/modifications").get_data(as_text=True)
    assert html.index("Formulation inclusive") < html.index("Création de la fiche")
    assert f'par <a href="/personnes/{contributor.id}">{contributor.name}</a>' in html
    assert f"/fiches/{entry.id}/diff?de=1&amp;a=2" in html
    assert "2 versions enregistrées" in html


def test_changes_are_paged_and_out_of_range_pages_are_french_404s(client, entry, make_entry):
    for i in range(4):
        edit(entry, f"Accueil inconditionnel {i}")
    first = client.get("/modifications").get_data(as_text=True)
    second = client.get("/modifications?page=2").get_data(as_text=True)
    # Five versions, three a page: 5, 4, 3 then 2, 1.
    assert "version 5" in first and "version 3" in first and "version 2" not in first
    assert "version 2" in second and "version 1" in second and "version 3" not in second
    assert "page 2 sur 2" in second and 'rel="prev"' in second and 'rel="next"' not in second
    for bad in ("3", "0", "-1", "x", "²", "9" * 30):
        response = client.get(f"/modifications?page={bad}")
        assert response.status_code == 404
        assert "Cette page des modifications n'existe pas" in response.get_data(as_text=True).replace("&#39;", "'")


def test_archived_entries_are_not_listed(client, workshop, make_entry):
    hidden = make_entry(workshop.edition, "Fiche retirée", kind=EntryKind.ACTION, workshop=workshop)
    hidden.status = EntryStatus.ARCHIVED
    db.session.commit()
    html = client.get("/modifications").get_data(as_text=True)
    assert "Fiche retirée" not in html and "Aucune modification" in html


def test_home_links_to_all_changes(client, entry):
    assert 'href="/modifications"' in client.get("/").get_data(as_text=True)
