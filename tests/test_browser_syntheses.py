"""In Chromium with JavaScript off: a workshop's facilitator composes its synthesis (renames and
reorders, comments, leaves an entry out), publishes it, and a visitor reads it."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from commons.accounts.models import Role
from commons.editions.models import WorkshopFacilitator
from commons.extensions import db
from commons.kinds import EntryKind

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "java_script_enabled": False}  # the editor needs no script


def test_a_facilitator_composes_and_publishes_without_javascript(page, live_server, browser_login, workshop,
                                                                  make_entry):
    make_entry(workshop.edition, "Accueil inconditionnel", workshop=workshop, body="Accueillir tout le monde.")
    make_entry(workshop.edition, "Posture de neutralité", workshop=workshop, body="Rester neutre.")
    make_entry(workshop.edition, "Créer un annuaire", EntryKind.ACTION, workshop=workshop, body="Recenser.")
    url = f"{live_server}/editions/{workshop.edition.slug}/ateliers/{workshop.slug}"
    person = browser_login(page, Role.CONTRIBUTOR)
    db.session.add(WorkshopFacilitator(workshop_id=workshop.id, user_id=person.id))
    db.session.commit()

    page.goto(url)
    page.get_by_role("link", name="Rédiger la synthèse (brouillon)").click()
    page.get_by_label("Introduction").fill("Une matinée de **travail collectif**.")
    page.get_by_label("Titre de la section").first.fill("Nos valeurs")
    page.get_by_label("Position dans la section : Posture de neutralité").fill("0")  # before "Accueil"
    page.get_by_label("Commentaire de l'animation (facultatif) : Accueil inconditionnel").fill("Unanime.")
    page.get_by_label("Inclure : Créer un annuaire").uncheck()
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator(".flash-success")).to_contain_text("Brouillon de la synthèse enregistré")
    page.get_by_role("button", name="Publier la version 1").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Synthèse de l'atelier")
    expect(page.locator(".meta").first).to_contain_text("Version 1")
    titles = page.locator("article.synthesis-item h3").all_inner_texts()
    assert titles == ["Posture de neutralité", "Accueil inconditionnel"]
    expect(page.get_by_role("heading", name="Nos valeurs")).to_be_visible()
    expect(page.locator(".synthesis-comment")).to_contain_text("Unanime.")
    expect(page.locator("main strong", has_text="travail collectif")).to_be_visible()

    page.context.clear_cookies()  # a visitor reads it from the workshop page
    page.goto(url)
    page.get_by_role("link", name="Lire la synthèse").click()
    expect(page.get_by_role("heading", name="Nos valeurs")).to_be_visible()
    expect(page.get_by_text("Créer un annuaire")).to_have_count(0)
