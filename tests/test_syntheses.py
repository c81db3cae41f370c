"""Workshop syntheses: draft → publish → edit an entry → republish → diff; forged arrangements;
who may see and change what."""
from __future__ import annotations

from html import unescape

import pytest
import sqlalchemy as sa

from commons.accounts.models import Role
from commons.editions.models import WorkshopFacilitator
from commons.entries.services import revise_entry
from commons.extensions import db
from commons.kinds import EntryKind
from commons.syntheses.models import Synthesis, SynthesisVersion


@pytest.fixture
def outcomes(workshop, make_entry):
    """Two values and an action of the workshop, created action first (kinds' order must win)."""
    action = make_entry(workshop.edition, "Créer un annuaire", EntryKind.ACTION, workshop=workshop,
                        body="Recenser les lieux.")
    first = make_entry(workshop.edition, "Accueil inconditionnel", workshop=workshop, body="Accueillir tout le monde.")
    second = make_entry(workshop.edition, "Posture de neutralité", workshop=workshop, body="Rester neutre.")
    return first, second, action


def _url(workshop, tail: str = "") -> str:
    return f"/editions/{workshop.edition.slug}/ateliers/{workshop.slug}/synthese{tail}"


def arrangement(sections: list[tuple[str, list]], **extra) -> list[tuple[str, str]]:
    """The draft form as a browser sends it: sections [(title, [entry or (entry, include, comment)])]."""
    data = [("intro", extra.pop("intro", "")), ("conclusion", extra.pop("conclusion", ""))]
    for s_index, (title, items) in enumerate(sections, start=1):
        key = f"s{s_index}"
        data += [("section", key), (f"section-{key}-title", title), (f"section-{key}-position", str(s_index))]
        for i_index, item in enumerate(items, start=1):
            entry, include, comment = item if isinstance(item, tuple) else (item, True, "")
            data += [("entry", str(entry.id)), (f"item-{entry.id}-section", key),
                     (f"item-{entry.id}-position", str(i_index)), (f"item-{entry.id}-comment", comment)]
            if include:
                data.append((f"item-{entry.id}-include", "1"))
    return data + list(extra.items())


def _assign(user, workshop) -> None:
    db.session.add(WorkshopFacilitator(workshop_id=workshop.id, user_id=user.id))
    db.session.commit()


def _post(client, url, data):
    """POST as a browser would; a draft form carries the draft number it was opened at."""
    from werkzeug.datastructures import MultiDict

    data = list(data)
    if url.endswith("/brouillon") and "draft_number" not in dict(data):
        data.append(("draft_number", str(_draft_number())))
    return client.post(url, data=MultiDict(data))


def _draft_number() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.max(Synthesis.draft_number))) or 0


def test_the_draft_starts_by_kind_in_the_kinds_order(facilitator_client, workshop, outcomes):
    page = facilitator_client.get(_url(workshop, "/brouillon")).get_data(as_text=True)
    assert page.index(EntryKind.VALEUR.plural) < page.index(EntryKind.ACTION.plural)
    assert page.index("Accueil inconditionnel") < page.index("Posture de neutralité") < page.index("Créer un annuaire")


def test_draft_publish_edit_republish_diff(facilitator_client, facilitator, workshop, outcomes):
    first, second, action = outcomes
    data = arrangement([("Nos valeurs", [second, (first, True, "Le cœur du métier."), (action, False, "")])],
                       intro="Une **journée** de travail.", conclusion="À suivre en 2024.")
    assert _post(facilitator_client, _url(workshop, "/brouillon"), data).status_code == 302
    response = facilitator_client.post(_url(workshop, "/publier"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/synthese/v/1")

    v1 = facilitator_client.get(_url(workshop, "/v/1")).get_data(as_text=True)
    assert "<strong>journée</strong>" in v1 and "Le cœur du métier." in v1 and "Créer un annuaire" not in v1
    assert v1.index("Posture de neutralité") < v1.index("Accueil inconditionnel")  # the facilitator's order

    revise_entry(first, base_revision=first.revision_number, author=facilitator, kind=first.kind,
                 title=first.title, body="Accueillir chaque personne sans condition.", tags=[], workshop=workshop)
    db.session.commit()
    draft = facilitator_client.get(_url(workshop, "/brouillon")).get_data(as_text=True)
    assert "Accueillir chaque personne sans condition." in draft  # entries are referenced, not copied
    assert facilitator_client.post(_url(workshop, "/publier")).headers["Location"].endswith("/v/2")

    v1 = facilitator_client.get(_url(workshop, "/v/1")).get_data(as_text=True)
    assert "Accueillir tout le monde." in v1 and "sans condition" not in v1  # frozen
    assert "La fiche a été modifiée depuis cette publication (version 2)" in v1
    v2 = facilitator_client.get(_url(workshop)).get_data(as_text=True)
    assert "sans condition" in v2 and "modifiée depuis" not in v2
    assert facilitator.name in v2 and facilitator.email not in v2  # the history names, never an address
    diff = facilitator_client.get(_url(workshop, "/diff?de=1&a=2")).get_data(as_text=True)
    assert "<ins>" in diff and "sans condition" in diff and "tout le monde" in diff
    versions = db.session.scalars(sa.select(SynthesisVersion).order_by(SynthesisVersion.number)).all()
    assert [(v.number, v.published_by_id) for v in versions] == [(1, facilitator.id), (2, facilitator.id)]
    assert versions[0].sections[0]["items"][1]["revision"] == 1 and versions[1].sections[0]["items"][1]["revision"] == 2


def test_sections_are_renamed_added_reordered_and_removed(facilitator_client, workshop, outcomes):
    first, second, action = outcomes
    data = arrangement([("Valeurs", [first, second]), ("Actions", [action])], **{"new-section-title": "Pistes"})
    _post(facilitator_client, _url(workshop, "/brouillon"), data)
    stored = db.session.scalar(sa.select(Synthesis)).arrangement
    assert [s["title"] for s in stored["sections"]] == ["Valeurs", "Actions", "Pistes"]
    # Rename, move the action into "Pistes", drop the emptied section, put "Pistes" first.
    data = arrangement([("Nos valeurs", [first, second]), ("Actions", []), ("Pistes", [action])])
    data = [(k, v) for k, v in data if k != "section-s3-position"]
    data += [("section-s3-position", "0"), ("section-s2-remove", "1")]
    assert _post(facilitator_client, _url(workshop, "/brouillon"), data).status_code == 302
    db.session.expire_all()
    stored = db.session.scalar(sa.select(Synthesis)).arrangement
    assert [(s["title"], [i["entry_id"] for i in s["items"]]) for s in stored["sections"]] == [
        ("Pistes", [action.id]), ("Nos valeurs", [first.id, second.id])]


def _forgeries(outcomes, stranger, other_edition_entry):
    first, second, action = outcomes
    base = arrangement([("Valeurs", [first, second, action])])
    return {
        "unknown": base + [("entry", "999999")],
        "not a number": base + [("entry", "abc")],
        "duplicate": base + [("entry", str(first.id))],
        "missing": [p for p in base if p != ("entry", str(action.id))],
        "another workshop": base + [("entry", str(stranger.id)), (f"item-{stranger.id}-section", "s1"),
                                    (f"item-{stranger.id}-position", "9")],
        "another edition": base + [("entry", str(other_edition_entry.id)),
                                   (f"item-{other_edition_entry.id}-section", "s1"),
                                   (f"item-{other_edition_entry.id}-position", "9")],
        "unknown section": [(k, "s9" if k == f"item-{first.id}-section" else v) for k, v in base],
        "bad position": [(k, "-1" if k == f"item-{first.id}-position" else v) for k, v in base],
        "duplicate section": base + [("section", "s1")],
        "removing a full section": base + [("section-s1-remove", "1")],
        "untitled section": [(k, " " if k == "section-s1-title" else v) for k, v in base],
    }


def test_forged_arrangements_are_refused_and_change_nothing(facilitator_client, workshop, outcomes, make_workshop,
                                                            make_edition, make_entry):
    other = make_workshop(workshop.edition, "Un autre atelier")
    stranger = make_entry(workshop.edition, "Ailleurs", workshop=other)
    elsewhere = make_entry(make_edition(2024), "Plus tard")
    _post(facilitator_client, _url(workshop, "/brouillon"), arrangement([("Avant", list(outcomes))], intro="Gardée"))
    for name, data in _forgeries(outcomes, stranger, elsewhere).items():
        response = _post(facilitator_client, _url(workshop, "/brouillon"), data)
        assert response.status_code == 422, name
        assert "Rien n'a été enregistré" in response.get_data(as_text=True), name
        db.session.expire_all()
        synthesis = db.session.scalar(sa.select(Synthesis))
        assert synthesis.intro == "Gardée" and synthesis.arrangement["sections"][0]["title"] == "Avant", name


def test_publishing_an_empty_synthesis_is_refused(facilitator_client, workshop, outcomes):
    data = arrangement([("Valeurs", [(e, False, "") for e in outcomes])])
    _post(facilitator_client, _url(workshop, "/brouillon"), data)
    response = facilitator_client.post(_url(workshop, "/publier"))
    assert response.status_code == 422 and "La synthèse est vide" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SynthesisVersion)) == 0


def test_texts_are_sanitised_and_checked(facilitator_client, workshop, outcomes):
    data = arrangement([("Valeurs", list(outcomes))], intro="<script>alert(1)</script> [x](javascript:alert(1))")
    _post(facilitator_client, _url(workshop, "/brouillon"), data)
    assert "<script>" not in db.session.scalar(sa.select(Synthesis)).intro_html
    response = _post(facilitator_client, _url(workshop, "/brouillon"),
                     arrangement([("Valeurs", list(outcomes))], conclusion="a\x00b"))
    assert response.status_code == 422 and "caractères non autorisés" in response.get_data(as_text=True)


def test_who_may_read_and_write(app, client, signed_in, make_user, workshop, outcomes, make_workshop):
    own, other_facilitator, contributor = (make_user(Role.CONTRIBUTOR) for _ in range(3))
    _assign(own, workshop)
    _assign(other_facilitator, make_workshop(workshop.edition, "Un autre atelier"))
    mine = signed_in(own)
    assert mine.get(_url(workshop, "/brouillon")).status_code == 200
    assert mine.post(_url(workshop, "/publier")).status_code == 302
    for person in (other_facilitator, contributor):
        visitor = signed_in(person)
        assert visitor.get(_url(workshop, "/brouillon")).status_code == 403
        response = _post(visitor, _url(workshop, "/brouillon"), arrangement([("X", list(outcomes))]))
        assert response.status_code == 403 and "personnes qui animent" in response.get_data(as_text=True)
        assert visitor.post(_url(workshop, "/publier")).status_code == 403
    assert client.get(_url(workshop, "/brouillon")).headers["Location"].startswith("/connexion")
    assert client.post(_url(workshop, "/publier")).headers["Location"].startswith("/connexion")
    assert client.get(_url(workshop)).status_code == 200 and client.get(_url(workshop, "/v/1")).status_code == 200
    assert "brouillon" not in client.get(_url(workshop, "/v/1")).get_data(as_text=True)
    # A published version has no writing route: a forged POST changes nothing.
    assert mine.post(_url(workshop, "/v/1"), data={"intro": "Réécrit"}).status_code == 405
    assert client.get(_url(workshop, "/v/2")).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SynthesisVersion)) == 1


def test_the_workshop_page_links_to_the_synthesis(client, facilitator_client, workshop, outcomes):
    page = f"/editions/{workshop.edition.slug}/ateliers/{workshop.slug}"
    assert "/synthese" not in client.get(page).get_data(as_text=True)
    assert "/synthese/brouillon" in facilitator_client.get(page).get_data(as_text=True)
    facilitator_client.post(_url(workshop, "/publier"))
    shown = client.get(page).get_data(as_text=True)
    assert _url(workshop) in shown and "/brouillon" not in shown


def test_a_persons_publications_are_in_their_data_export(app, facilitator, facilitator_client, workshop, outcomes):
    from commons.accounts.mydata import export
    from commons.models import utcnow

    facilitator_client.post(_url(workshop, "/publier"))
    rows = export(facilitator, utcnow())["synthesis_publications"]
    assert [(r["workshop"], r["version"]) for r in rows] == [(workshop.slug, 1)]


def test_a_publication_lost_to_a_simultaneous_one_is_a_conflict(monkeypatch, facilitator_client, workshop, outcomes):
    _post(facilitator_client, _url(workshop, "/brouillon"), arrangement([("Valeurs", list(outcomes))]))
    # The other request's version 1 took the number between our read and our insert.
    monkeypatch.setattr("commons.syntheses.services.insert_or_ignore", lambda *args, **kwargs: 0)
    response = facilitator_client.post(_url(workshop, "/publier"))
    assert response.status_code == 409 and "vient de publier la version 1" in response.get_data(as_text=True)


def test_an_anonymous_reader_sees_a_new_version_at_once(client, facilitator_client, workshop, outcomes):
    """The publication's Core insert counts as a write: the kept anonymous page is not served."""
    facilitator_client.post(_url(workshop, "/publier"))
    assert "Version 1," in client.get(_url(workshop)).get_data(as_text=True)
    _post(facilitator_client, _url(workshop, "/brouillon"), arrangement([("Valeurs", list(outcomes))], intro="Neuf"))
    facilitator_client.post(_url(workshop, "/publier"))
    page = client.get(_url(workshop)).get_data(as_text=True)
    assert "Version 2," in page and "Neuf" in page


def test_deleting_a_workshop_takes_its_synthesis_along(facilitator_client, workshop, outcomes):
    from commons.editions.services import delete_workshop

    facilitator_client.post(_url(workshop, "/publier"))
    delete_workshop(workshop)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SynthesisVersion)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Synthesis)) == 0


def test_two_people_saving_the_same_draft_never_overwrite_each_other(facilitator_client, workshop, outcomes):
    """Both opened the draft at the same state: the first save wins, the second is refused
    (409) with its typed text shown back, and nothing of it is kept."""
    opened = _draft_number()
    mine = arrangement([("Valeurs", list(outcomes))], intro="Mon introduction", draft_number=str(opened))
    theirs = arrangement([("Valeurs", list(outcomes))], intro="Leur introduction", draft_number=str(opened))
    assert _post(facilitator_client, _url(workshop, "/brouillon"), mine).status_code == 302
    refused = _post(facilitator_client, _url(workshop, "/brouillon"), theirs)
    assert refused.status_code == 409
    page = unescape(refused.get_data(as_text=True))
    assert "Quelqu'un a enregistré ce brouillon depuis que vous l'avez ouvert" in page
    assert "Leur introduction" in page  # what they typed is not lost from their screen
    assert f'name="draft_number" value="{opened + 1}"' in page  # saving again now replaces knowingly
    db.session.expire_all()
    assert db.session.scalar(sa.select(Synthesis.intro)) == "Mon introduction"


def test_a_draft_form_without_its_number_is_refused(facilitator_client, workshop, outcomes):
    data = arrangement([("Valeurs", list(outcomes))], intro="Sans numéro", draft_number="")
    response = _post(facilitator_client, _url(workshop, "/brouillon"), data)
    assert response.status_code == 422 and "rechargez la page" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Synthesis)) == 0
