"""WCAG 2.1 AA checks with axe-core (vendored in the axe-playwright-python wheel) on the main pages.

Automated checks catch perhaps a third of RGAA criteria (contrast, names, labels, landmarks,
language, ARIA misuse); they are the floor, not a certificate.
"""
import pytest
from axe_playwright_python.sync_playwright import Axe

from commons.accounts.models import Role

pytestmark = pytest.mark.browser

AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}

PUBLIC_PAGES = [
    "/",
    "/editions",
    "/editions/nec-sud-ouest-2023",
    "/editions/nec-sud-ouest-2023/ateliers/les-communs-de-la-mediation-numerique",
    "/editions/nec-sud-ouest-2023/ateliers/les-communs-de-la-mediation-numerique/synthese",
    "/editions/nec-sud-ouest-2023/ateliers/passerelles-mediation-numerique-ecole/synthese/v/1",
    "/editions/nec-sud-ouest-2023/ateliers/les-communs-de-la-mediation-numerique/synthese/diff?de=1&a=1",
    "/editions/nec-sud-ouest-2023/ateliers/passerelles-mediation-numerique-ecole",  # its shared resources
    "/natures",
    "/natures/valeur",
    "/etiquettes",
    "/modifications",
    "/recherche?q=mediation",
    "/recherche?q=mediaton",
    "/editions/nec-sud-ouest-2023/comparer/nec-sud-ouest-2024",
    "/actions/suivi",
    "/connexion",
    "/inscription",
    "/mot-de-passe/oubli",
    "/nulle-part",
]


def violations(page) -> list[str]:
    results = Axe().run(page, options=AXE_OPTIONS)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]]


@pytest.mark.parametrize("width", [1280, 375])
def test_public_pages_have_no_axe_violations(page, live_server, demo, width):
    page.set_viewport_size({"width": width, "height": 800})
    found = {}
    for path in PUBLIC_PAGES:
        page.goto(live_server + path)
        if problems := violations(page):
            found[path] = problems
    assert found == {}


def test_entry_and_form_pages_have_no_axe_violations(page, live_server, demo, browser_login):
    admin = browser_login(page, Role.ADMIN)
    page.goto(live_server + "/editions/nec-sud-ouest-2023/ateliers/les-communs-de-la-mediation-numerique")
    page.get_by_role("link", name="Accueil inconditionnel").click()
    entry_url = page.url
    found = {}
    for path in ["", "/modifier", "/historique", "/filiation"]:
        page.goto(entry_url + path)
        if problems := violations(page):
            found[path or "fiche"] = problems
    for path in ["/fiches/nouvelle", "/editions/nouvelle", "/editions/nec-sud-ouest-2024/programme",
                 "/editions/nec-sud-ouest-2024/ateliers/les-communs-de-la-mediation-numerique/reprise",
                 "/editions/nec-sud-ouest-2024/ateliers/les-communs-de-la-mediation-numerique/decisions",
                 "/editions/nec-sud-ouest-2023/ateliers/les-communs-de-la-mediation-numerique/synthese/brouillon",
                 "/editions/nec-sud-ouest-2024/programme/les-communs-de-la-mediation-numerique/modifier",
                 "/admin/synonymes", "/admin/synonymes/nouveau", "/compte/sessions", "/compte",
                 "/admin/demandes", "/admin/invitations", "/admin/liens", "/admin/comptes",
                 "/admin/comptes?q=zzz-personne", "/admin/journal", "/admin/journal?since=2026-02-30",
                 "/compte/supprimer", "/confidentialite", f"/personnes/{admin.id}"]:
        page.goto(live_server + path)
        if problems := violations(page):
            found[path] = problems
    # A form shown again with errors: the error summary and field messages must be accessible too.
    page.goto(live_server + "/fiches/nouvelle")
    page.get_by_role("button", name="Créer la fiche").click()
    if problems := violations(page):
        found["form with errors"] = problems
    assert found == {}


def test_account_link_pages_have_no_axe_violations(page, live_server, demo, contributor, browser_login):
    """The pages behind the links (set a password, an invitation, a new address), a refused link,
    and the sign-up form shown again with its errors."""
    from tests.conftest import account_links

    links = account_links(contributor)
    admin = browser_login(page, Role.ADMIN)
    found = {}
    for path in [f"/mot-de-passe/nouveau/{links['reset']}", f"/invitation/{links['invitation']}",
                 f"/compte/adresse/{links['confirm']}", "/invitation/pas-un-vrai-jeton-0000000000000",
                 "/admin/demandes", "/admin/liens", f"/admin/comptes/{admin.id}",
                 f"/admin/comptes/{contributor.id}"]:
        page.goto(live_server + path)
        if problems := violations(page):
            found[path] = problems
    page.goto(live_server + "/inscription")
    page.get_by_role("button", name="Envoyer la demande").click()
    page.get_by_role("alert").wait_for()
    if problems := violations(page):
        found["sign-up form with errors"] = problems
    # A refused action shows the account page again with its message (here: deactivating oneself).
    page.goto(f"{live_server}/admin/comptes/{admin.id}")
    page.evaluate("""() => { const f = document.createElement('form'); f.method = 'post';
        f.action = location.pathname + '/desactiver'; const t = document.createElement('input');
        t.type = 'hidden'; t.name = 'csrf_token'; t.value = document.querySelector('input[name=csrf_token]').value;
        f.appendChild(t); document.body.appendChild(f); f.submit(); }""")
    page.get_by_role("alert").wait_for()
    if problems := violations(page):
        found["account page with a refusal"] = problems
    assert found == {}


def test_the_facilitators_section_and_the_names_it_puts_on_the_workshop_page_have_no_axe_violations(
        page, live_server, demo, browser_login, make_user):
    """Organisers assign a facilitator (an error first), then the workshop page names them."""
    make_user(display_name="Camille Martin")
    browser_login(page, Role.FACILITATOR)
    workshop = "/editions/nec-sud-ouest-2024/ateliers/les-communs-de-la-mediation-numerique"
    page.goto(live_server + "/editions/nec-sud-ouest-2024/programme/les-communs-de-la-mediation-numerique/modifier")
    found = {}
    page.get_by_role("button", name="Confier l'animation").click()  # nobody chosen: refused
    page.get_by_text("Choisissez la personne à qui confier l'animation.").first.wait_for()
    if problems := violations(page):
        found["refused"] = problems
    page.get_by_label("Personne à qui confier l'animation").select_option(label="Camille Martin")
    page.get_by_role("button", name="Confier l'animation").click()
    page.get_by_role("button", name="Retirer Camille Martin").wait_for()
    if problems := violations(page):
        found["assigned"] = problems
    page.goto(live_server + workshop)
    page.get_by_role("link", name="Camille Martin").wait_for()
    if problems := violations(page):
        found["workshop page"] = problems
    assert found == {}


def test_feedback_pages_have_no_axe_violations(page, live_server, feedback_pages, browser_login):
    """The participants' form (empty, then with errors), the results with their charts, the admins' page."""
    found = {}
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 800})
        for name in ("answer", "results"):
            page.goto(live_server + feedback_pages[name])
            if problems := violations(page):
                found[f"{name}@{width}"] = problems
    page.goto(live_server + feedback_pages["answer"])
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.get_by_role("alert").wait_for()
    if problems := violations(page):
        found["answer with errors"] = problems
    browser_login(page, Role.ADMIN)
    for name in ("manage", "results"):
        page.goto(live_server + feedback_pages[name])
        if problems := violations(page):
            found[f"{name} (admin)"] = problems
    assert found == {}


def test_synthesis_draft_refused_has_no_axe_violations(page, live_server, demo, browser_login):
    """The draft editor shown again with a refusal (a section removed while it holds entries)."""
    browser_login(page, Role.FACILITATOR)
    page.goto(live_server + "/editions/nec-sud-ouest-2023/ateliers/les-communs-de-la-mediation-numerique"
                            "/synthese/brouillon")
    page.get_by_label("Supprimer cette section (déplacez d'abord ses fiches)").first.check()
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    assert "contient encore des fiches" in page.locator(".error-summary").inner_text()
    assert violations(page) == []


def test_the_resources_page_its_refusals_and_the_list_it_feeds_have_no_axe_violations(page, live_server, demo,
                                                                                        browser_login):
    """An organiser uploads a document through the real form (a forged one first: refused), on a
    phone-sized screen too; the workshop page then lists it beside the demo's link."""
    browser_login(page, Role.FACILITATOR)
    workshop = "/editions/nec-sud-ouest-2023/ateliers/passerelles-mediation-numerique-ecole"
    found = {}
    page.goto(live_server + workshop + "/ressources")
    if problems := violations(page):
        found["page"] = problems
    page.get_by_label("Fichier", exact=True).set_input_files({"name": "page.pdf", "mimeType": "application/pdf",
                                                  "buffer": b"<!doctype html><p>pas un PDF</p>"})
    page.get_by_role("button", name="Envoyer le document").click()
    page.get_by_role("alert").wait_for()
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 800})
        if problems := violations(page):
            found[f"refused at {width}px"] = problems
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.get_by_label("Fichier", exact=True).set_input_files({"name": "Support de présentation.pdf", "mimeType": "application/pdf",
                                                  "buffer": b"%PDF-1.4\n%%EOF\n"})
    page.get_by_role("button", name="Envoyer le document").click()
    page.get_by_role("button", name="Supprimer « Support de présentation »").wait_for()
    if problems := violations(page):
        found["uploaded"] = problems
    page.goto(live_server + workshop)
    page.get_by_role("link", name="Support de présentation").wait_for()
    if problems := violations(page):
        found["workshop page"] = problems
    assert found == {}
