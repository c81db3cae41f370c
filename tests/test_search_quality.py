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


@pytest.mark.parametrize("query, expected", [
    ('"environnement de confiance"', "Créer un environnement de confiance"),
    ('"écoute et bienveillance"', "Écoute et bienveillance"),
    ('"trousses à projet"', "Créer des trousses à projet"),
    ('"parents d\'élèves"', "S'appuyer sur les fédérations et associations de parents d'élèves"),
])
def test_phrases_with_small_words(client, demo, query, expected):
    assert expected in titles(api(client, q=query))[:3]


def test_phrase_still_wants_the_order(client, demo):
    found = titles(api(client, q='"confiance de environnement"'))
    assert "Créer un environnement de confiance" not in found


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
