"""In Chromium, with the demo loaded: walk home → edition → workshop → entry by clicking
links, edit the entry, and find the new revision in its history and diff."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

EDITION = "NEC Sud-Ouest 2023"
WORKSHOP = "Les communs de la médiation numérique"
ENTRY = "Accueil inconditionnel"


def test_walk_to_an_entry_edit_it_and_read_its_history(page, live_server, demo, browser_login):
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    user = browser_login(page)
    page.goto(f"{live_server}/")
    main = page.locator("main")
    main.get_by_role("link", name=EDITION, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(EDITION)
    main.get_by_role("link", name=WORKSHOP, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(WORKSHOP)
    main.get_by_role("link", name=ENTRY, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ENTRY)
    expect(page.locator(".last-change")).to_contain_text("Import")

    page.get_by_role("link", name="Modifier la fiche").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Modifier « {ENTRY} »")
    page.get_by_label("Texte", exact=True).fill(
        "Accueillir **toute personne**, sans condition ni jugement, quelle que soit sa demande.")
    page.get_by_label("Résumé de la modification (facultatif)").fill("Précision sur l'accueil")
    page.get_by_role("button", name="Enregistrer les modifications").click()

    expect(page.locator(".flash-success")).to_contain_text("Modifications enregistrées (version 2)")
    expect(page.locator(".entry-body strong")).to_have_text("toute personne")
    expect(page.locator(".last-change")).to_contain_text(user.name)

    page.get_by_role("link", name=re.compile(r"^Historique")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Historique de « {ENTRY} »")
    newest = page.locator("table.history tbody tr").first
    expect(newest).to_contain_text("Version 2")
    expect(newest).to_contain_text("Précision sur l'accueil")
    expect(newest).to_contain_text(user.name)
    expect(page.locator("table.history tbody tr")).to_have_count(2)

    page.get_by_role("button", name="Comparer les versions choisies").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Différences entre les versions 1 et 2")
    expect(page.locator(".diff-body ins").first).to_contain_text("Accueillir")
    assert problems == [], problems  # nothing blocked by the CSP, no script error
