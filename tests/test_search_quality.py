"""Search quality: inflections meet, phrases keep their small words, kind names, compounds,
synonyms, and no dead ends (fallbacks that say so)."""
from __future__ import annotations

import pytest

from commons.search.analysis import normalise

# Each line: forms a mediator may type for the same word; all must reach one indexed form.
INFLECTIONS = """usager usagers usagère usagères
conseiller conseillers conseillère conseillères
médiateur médiateurs médiatrice médiatrices mediatrice
animateur animatrice animateurs animatrices
acteur acteurs actrice actrices
utilisateur utilisatrice utilisateurs
lieu lieux
réseau réseaux reseaux
fablab fablabs
école écoles ecoles
valeur valeurs
pratique pratiques
savoir savoirs
moyen moyens
action actions
numérique numériques numerique
public publique publics publiques
diagnostic diagnostics diagnostiquer
travail travailler
accueil accueils accueillir
collectivité collectivités collectivite
territorial territoriale territoriaux
social sociale sociaux sociales
local locale locaux locales
personnel personnelle personnels personnelles
bénévole bénévoles benevole
élève élèves eleves
enseignant enseignante enseignants enseignantes
donnée données donnees
professionnel professionnelle professionnels professionnelles
partenaire partenaires
famille familles
compétence compétences competences
bienveillant bienveillante bienveillants bienveillance
ressource ressources
inclusif inclusive inclusifs
premier première premiers premières
jeu jeux
parentalité parentalite
accompagné accompagnée accompagnés accompagnement accompagnee""".splitlines()


@pytest.mark.parametrize("forms", INFLECTIONS)
def test_inflections_meet(forms):
    stems = {word: normalise(word) for word in forms.split()}
    assert len(set(stems.values())) == 1, stems


def test_different_words_stay_apart():
    assert normalise("valeur") != normalise("savoir")
    assert normalise("école") != normalise("écoute")
    assert normalise("médiateur") != normalise("médiation")


def api(client, **params):
    response = client.get("/api/v1/search", query_string=params)
    assert response.status_code == 200, response.data
    return response.get_json()


def titles(data) -> list[str]:
    return [r["title"] for r in data["results"]]


def outcome_titles(data) -> list[set[str]]:
    """Each result's titles: its own and those of the same outcome in other editions."""
    return [{r["title"], *(a["title"] for a in r["also"])} for r in data["results"]]


@pytest.mark.parametrize("query, expected", [
    ('"environnement de confiance"', "Créer un environnement de confiance"),
    ('"écoute et bienveillance"', "Écoute et bienveillance"),
    ('"trousses à projet"', "Créer des trousses à projet"),
    ('"parents d\'élèves"', "S'appuyer sur les fédérations et associations de parents d'élèves"),
])
def test_phrases_with_small_words(client, demo, query, expected):
    # A reworded entry is one result with its earlier wording ("aussi en 2023").
    assert any(expected in found for found in outcome_titles(api(client, q=query))[:3])


@pytest.mark.parametrize("query, kind", [
    ("valeurs", "valeur"), ("prérequis", "prerequis"), ("les pratiques", "pratique"), ("savoirs", "savoir"),
    ("moyens", "moyen"),
])
def test_a_kind_name_finds_that_kind(client, demo, query, kind):
    kinds = [r["kind"] for r in api(client, q=query)["results"][:5]]
    assert kinds.count(kind) >= 3, kinds


def test_a_kind_name_narrows_with_the_other_words(client, demo):
    found = api(client, q="actions fablabs")["results"]
    assert found[0]["title"] == "Rapprocher les fablabs et les écoles" and found[0]["kind"] == "action"


# --- compounds and synonyms, applied to the query only ---------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ("fab lab", "Rapprocher les fablabs et les écoles"),
    ("cyber sécurité", "Bases informatiques"),
    ("cybersecurite", "Bases informatiques"),
    ("intercommunalité", "Mobiliser les EPCI"),
    ("communautés de communes", "Mobiliser les EPCI"),
    ("données personnelles", "Bases informatiques"),
    ("CnFS", "Demi-journée CnFS : présenter les actions"),
    ("conseillère numérique France Services", "Demi-journée CnFS : présenter les actions"),
])
def test_compounds_and_synonyms_meet(client, demo, query, expected):
    data = api(client, q=query)
    assert expected in titles(data)[:3]
    assert data["fallback"] is None


def test_a_split_compound_finds_the_joined_word_and_back(client, make_edition, make_entry):
    edition = make_edition(2023)
    make_entry(edition, "Un fab lab au collège", body="Atelier de fabrication.")
    make_entry(edition, "Le fablab itinérant", body="Un camion.")
    assert set(titles(api(client, q="fablab"))) == {"Un fab lab au collège", "Le fablab itinérant"}
    assert set(titles(api(client, q="fab lab"))) == {"Un fab lab au collège", "Le fablab itinérant"}


# --- no dead ends ------------------------------------------------------------------------------------

def test_misspelt_query_shows_the_suggestion_results_and_says_so(client, demo):
    data = api(client, q="acceuil inconditionel")
    assert data["fallback"] == "suggestion" and data["searched"] == "accueil inconditionnel"
    assert titles(data)[0] == "Accueil inconditionnel"
    page = client.get("/recherche", query_string={"q": "acceuil inconditionel"}).get_data(as_text=True)
    assert "Aucun résultat pour « acceuil inconditionel »" in page
    assert "Résultats pour « accueil inconditionnel »" in page
    assert "exact=1" in page


def test_the_words_as_typed_stay_one_click_away(client, demo):
    data = api(client, q="acceuil inconditionel", exact="1")
    assert data["fallback"] is None and data["total"] == 0
    assert data["suggestion"] == "accueil inconditionnel"


def test_a_typo_in_one_of_several_words(client, demo):
    data = api(client, q="ecoute bienvaillante")
    assert data["fallback"] is not None
    assert titles(data)[0] in {"Écoute bienveillante et posture de neutralité", "Écoute et bienveillance"}


def test_any_word_fallback_ranks_by_words_matched(client, demo):
    data = api(client, q="posture professionnelle neutralité")
    assert data["fallback"] == "any_word" and data["total"] > 0
    assert titles(data)[0] in {"Posture de neutralité", "Écoute bienveillante et posture de neutralité"}
    page = client.get("/recherche", query_string={"q": "posture professionnelle neutralité"}).get_data(as_text=True)
    assert "Aucun résultat ne contient tous les mots" in page


def test_phrase_out_of_order_finds_nothing_and_says_nothing_else(client, demo):
    data = api(client, q='"confiance de environnement"')
    assert data["total"] == 0 and data["fallback"] is None


def test_a_kind_word_offers_its_filter(client, demo):
    page = client.get("/recherche", query_string={"q": "valeurs"}).get_data(as_text=True)
    assert "N&#39;afficher que les fiches « Valeurs »" in page or "N'afficher que les fiches « Valeurs »" in page
    assert "kind=valeur" in page
