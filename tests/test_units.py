"""Answer units (index.units): what a reader can take alone, cut from French passages."""

from __future__ import annotations

import pytest

from index.units import has_verb, heading_like, refers_back, sentences, units


def texts(text: str) -> list[str]:
    return [u.text for u in units(text)]


def test_sentences_split_on_ends_not_on_abbreviations():
    text = "Selon M. Dupont, il faut agir. L'art. 3 le prévoit ! Et ensuite ? Oui… Fin"
    assert [text[a:b] for a, b in sentences(text)] == [
        "Selon M. Dupont, il faut agir.", "L'art. 3 le prévoit !", "Et ensuite ?", "Oui…", "Fin"]


@pytest.mark.parametrize("sentence", [
    "Créer des fonds de garantie pour les coopératives.",
    "Promouvoir la solidarité, la démocratie et la non-lucrativité.",
    "Concentrez-vous sur les personnes et leurs besoins et non sur le profit.",
    "Les jeunes ont une propension naturelle à coopérer.",
    "Elle promeut des modèles économiques fondés sur la solidarité.",
    "Ce territoire fit longtemps partie de l’Empire ottoman.",
    "En mars 1939, Hitler occupa la Bohême-Moravie et créa l'état satellite de Slovaquie.",
    "Le 25 mars 1975, Mariner 10 ne dispose plus de carburant.",
    "Les structures de l'économie sociale et solidaire favorisent la décision démocratique.",
    "Il est nécessaire de passer d'un modèle individualiste à un modèle de solidarité.",
])
def test_sentences_with_a_verb(sentence):
    assert has_verb(sentence)


@pytest.mark.parametrize("fragment", [
    "Reconnaissance de l'intersectionnalité des inégalités entre les sexes.",
    "Importance des soins et de leur professionnalisation pour l'équité entre les genres.",
    "Les Rencontres du Mont Blanc 2026",
    "La diplomatie de l'ESS.",
    "L'INTERNATIONALISATION DE L'ESS DANS LE CADRE DE L'AGENDA 2030 DE L'ONU",
])
def test_fragments_without_a_verb(fragment):
    assert not has_verb(fragment)


@pytest.mark.parametrize("sentence, back", [
    ("Ces propositions peuvent être étendues à d'autres groupes sociaux.", True),
    ("Cette diplomatie met en avant les valeurs sociales.", True),
    ("Elle vise à influencer les États.", True),
    ("Ils contribuent également à l'atténuation.", True),
    ("Cela ouvre des possibilités pour le capital humain.", True),
    ("Ceci est basé sur les actions du monde universitaire.", True),
    ("Ce sont deux enjeux auxquels les structures sont pertinentes.", True),
    ("Ce document vise à promouvoir un plan d'action concret.", False),
    ("Cette année, la thématique a été : « Construire un avenir durable ».", False),
    ("Il faut penser nos souverainetés énergétiques.", False),
    ("Il est prouvé que les gens le font mieux lorsqu'ils coopèrent.", False),
    ("Les jeunes ont une propension naturelle à coopérer.", False),
])
def test_references_to_what_came_before(sentence, back):
    assert refers_back(sentence) is back


def test_headings_and_capitals_are_not_sentences():
    assert heading_like("Les Rencontres du Mont Blanc 2026")
    assert heading_like("BIENS PUBLICS ET COMMUNS, POUR UNE ESS DURABLE.")
    assert not heading_like("Renforcer l'autonomie des populations")
    assert not heading_like("Créer des fonds.")


def test_a_short_recommendation_is_one_unit_whole():
    text = ("Développer la formation et la rééducation à la coexistence au sein des organisations "
            "pour les différents genres, et pas seulement pour les femmes. Reconnaissance de "
            "l'intersectionnalité des inégalités entre les sexes.")
    assert texts(text) == [text]


def test_a_verbless_sentence_never_stands_alone():
    text = ("Développer la formation des organisations pour les différents genres, et pas "
            "seulement pour les femmes, dans toutes les régions du continent et au-delà. "
            "Reconnaissance de l'intersectionnalité des inégalités entre les sexes. "
            "Promouvoir le leadership féminin dans les organisations de l'économie sociale, "
            "à tous les niveaux de responsabilité et dans tous les territoires.")
    found = texts(text)
    assert "Reconnaissance de l'intersectionnalité des inégalités entre les sexes." not in found
    assert any(u.endswith("Reconnaissance de l'intersectionnalité des inégalités entre les "
                          "sexes.") and u.startswith("Développer") for u in found)


def test_a_sentence_that_refers_back_brings_its_antecedent():
    text = ("Promouvoir le leadership féminin et favoriser des relations de pouvoir où les "
            "personnes se motivent et s'inspirent mutuellement, où leur identité particulière est "
            "renforcée et enrichit les processus entrepris collectivement dans les associations. "
            "Ces propositions peuvent être étendues à d'autres groupes sociaux qui ont souffert de "
            "la discrimination de genre, au-delà des femmes.")
    found = texts(text)
    assert not any(u.startswith("Ces propositions") for u in found)
    assert text in found  # with its antecedent
    assert all(u.startswith("Promouvoir") for u in found)


def test_a_passage_opening_on_a_reference_offers_only_what_reads_alone():
    text = ("Elle vise à influencer les États pour une reconnaissance juridique de l'économie "
            "sociale et solidaire, par le dialogue et la coopération internationale. Elle propose "
            "aussi des outils communs. Dans le contexte global de fragilisation de la démocratie, "
            "l'économie sociale et solidaire est une forme de résistance démocratique.")
    assert texts(text) == ["Dans le contexte global de fragilisation de la démocratie, "
                           "l'économie sociale et solidaire est une forme de résistance "
                           "démocratique."]


def test_a_lead_in_and_a_trailing_heading_are_left_out():
    text = ("Les Rencontres ont eu lieu à Genève en janvier, à l'Organisation internationale du "
            "Travail, avec des délégations de tous les continents et de nombreux réseaux. "
            "Ces rencontres ont été l'occasion de mettre en avant plusieurs enjeux :")
    assert texts(text) == ["Les Rencontres ont eu lieu à Genève en janvier, à l'Organisation "
                           "internationale du Travail, avec des délégations de tous les "
                           "continents et de nombreux réseaux."]
    short = "En rejoignant le réseau, vous bénéficiez de prestations. Les Rencontres 2026"
    assert texts(short) == ["En rejoignant le réseau, vous bénéficiez de prestations."]


def test_every_unit_is_the_text_at_its_offsets():
    text = ("La diplomatie de l'ESS. Cette diplomatie met en avant les valeurs sociales et "
            "environnementales plutôt que la maximisation du profit. Elle promeut des modèles "
            "économiques fondés sur la solidarité. Elle vise à influencer les États pour une "
            "reconnaissance juridique de l'économie sociale et solidaire. Dans le contexte "
            "global, l'économie sociale et solidaire est une forme de résistance démocratique.")
    found = units(text)
    assert found and all(text[u.start:u.end] == u.text for u in found)
    assert all(u.sentences <= 3 for u in found)
    assert found[0].text.startswith("La diplomatie de l'ESS. Cette diplomatie met en avant")
