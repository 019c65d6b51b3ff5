"""The Streamlit page, driven in-process with streamlit.testing.v1.AppTest."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, FakeEmbedder
from ingest.build import build

QUESTION = "Comment financer les entreprises de l'ESS ?"


def page(monkeypatch, index_dir, tab: str | None = None, secret: str | None = None) -> AppTest:
    """The page after its first run, on the given tab (only the open tab runs); uploads
    are offered only with an editor `secret`."""
    monkeypatch.setenv("ESS_INDEX", str(index_dir))
    monkeypatch.delenv("ESS_EDITOR_PASSWORD_FILE", raising=False)
    if secret is None:
        monkeypatch.delenv("ESS_EDITOR_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("ESS_EDITOR_PASSWORD", secret)
    app = AppTest.from_file(str(ROOT / "ess" / "page.py"), default_timeout=120)
    app.run()
    assert not app.exception
    if tab is not None:
        app.session_state["onglet"] = tab
        app.run()
        assert not app.exception
    return app


def ask(app: AppTest, question: str) -> AppTest:
    app.text_input(key="question").input(question)
    app.button[0].click()  # the form's « Chercher »
    app.run()
    assert not app.exception
    return app


def cards(app: AppTest) -> list[str]:
    return [m.value for m in app.markdown if m.value.startswith('<div class="ess-card"')]


def answer_html(app: AppTest) -> str:
    (found,) = [m.value for m in app.markdown if m.value.startswith('<div class="ess-answer"')]
    return found


def test_a_question_shows_an_answer_with_markers_and_the_cited_recommendation(
        monkeypatch, real_index):
    app = ask(page(monkeypatch, real_index), QUESTION)
    assert [h.value for h in app.header][:2] == ["Réponse", "Passages"]
    answer = answer_html(app)
    assert '<a href="#passage-1"' in answer and "[1]</a>" in answer
    shown = cards(app)
    assert len(shown) == 5
    assert any("ESS et un système financier plus stable" in c and "recommandation n° " in c
               for c in shown)
    assert "<mark>" in shown[0]  # the answer's sentence is marked in its passage
    assert all(m.proto.hide_anchors for m in app.markdown  # no empty link by each heading
               if m.value.startswith('<div class="ess-card"'))
    assert app.get("download_button")  # the Markdown export


def test_filters_narrow_the_cards(monkeypatch, real_index):
    app = ask(page(monkeypatch, real_index), QUESTION)
    summary = "Synthèse des Rencontres du Mont-Blanc (Genève, 2026)"
    assert any(summary in c for c in cards(app))
    roadmap = "Feuille de route des Rencontres du Mont-Blanc – Amériques (Carthagène, 2022)"
    app.sidebar.multiselect[0].select(roadmap).run()
    assert not app.exception and cards(app)
    assert all(roadmap in c and summary not in c for c in cards(app))
    finance = "ESS et un système financier plus stable, résilient et démocratique"
    app.sidebar.multiselect[1].select(finance).run()
    assert cards(app) and all(finance in c for c in cards(app))


def test_the_number_of_passages_control(monkeypatch, real_index):
    app = page(monkeypatch, real_index)
    app.slider[0].set_value(2)
    assert len(cards(ask(app, QUESTION))) == 2


def test_an_example_question_answers_in_one_click(monkeypatch, real_index):
    app = page(monkeypatch, real_index)
    app.button[1].click().run()  # the first example
    assert not app.exception
    assert app.text_input(key="question").value == QUESTION
    assert cards(app)


def test_a_question_the_corpus_cannot_answer_says_so(monkeypatch, real_index):
    app = ask(page(monkeypatch, real_index),
              "Quel est le taux de TVA des coopératives en Belgique ?")
    assert [w.value for w in app.warning] == [
        "Aucun passage ne répond clairement à cette question. Les documents ne mentionnent "
        "pas « TVA », « Belgique ». Voici les passages les plus proches."]
    assert cards(app)  # the closest passages are still shown


@pytest.mark.parametrize("question", ["", "   ", "Comment financer l'ESS ? " * 80])
def test_empty_and_very_long_questions_raise_nothing(monkeypatch, real_index, question):
    app = ask(page(monkeypatch, real_index), question[:2000])
    if not question.strip():
        assert not cards(app) and "Réponse" not in [h.value for h in app.header]
    else:
        assert cards(app)


def test_no_index_says_in_french_how_to_build_it(monkeypatch, tmp_path):
    monkeypatch.setenv("ESS_INDEX", str(tmp_path / "nothing"))
    app = AppTest.from_file(str(ROOT / "ess" / "page.py"), default_timeout=60)
    app.run()
    assert not app.exception
    (error,) = [e.value for e in app.error]
    assert error == ("Pas encore d'index : construisez-le avec `ess ingest`, ou lancez la page "
                     "avec `ess serve`, qui le construit d'abord. Puis rechargez cette page.")
    assert str(tmp_path) not in error  # no server path for readers
    assert not app.text_input


def test_markup_in_the_corpus_renders_as_text(monkeypatch, tmp_path):
    import index.embed

    monkeypatch.setattr(index.embed, "load_embedder", lambda name=None: FakeEmbedder(name))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "piege.md").write_text(
        "## FINANCE <img src=x onerror=alert(1)>\n\n"
        "1. Créer des fonds <script>alert('fonds')</script> **solidaires** "
        "[lien](javascript:alert(1)) $x^2$ :red[rouge].\n", encoding="utf-8")
    build(corpus, tmp_path / "index", embedder=FakeEmbedder(), show_progress=False)
    app = ask(page(monkeypatch, tmp_path / "index"), "fonds solidaires <script>")
    html = "\n".join(m.value for m in app.markdown if not m.value.startswith("<style>"))
    assert "Créer des fonds &lt;script&gt;alert(&#39;fonds&#39;)&lt;/script&gt;" in html
    for raw in ("<script>", "<img", "**solidaires**", "](javascript", "$x^2$", ":red["):
        assert raw not in html, raw
    assert "fonds &lt;script&gt;alert(&#39;fonds&#39;)&lt;/script&gt; solidaires " in html
    assert "&#42;" not in html  # emphasis markers dropped, not shown


def test_the_theme_explorer_lists_a_theme_by_document_and_section(monkeypatch, real_index):
    app = page(monkeypatch, real_index, "Thèmes")
    explorer = app.selectbox[0]
    assert explorer.label == "Thème"
    assert explorer.proto.placeholder == "Choisissez un thème"  # not « Choose an option »
    assert explorer.format_func("genre").startswith("Égalité de genre (")
    explorer.select("genre").run()
    assert not app.exception
    groups = [m.value for m in app.markdown if m.value.startswith('<div class="ess-group">')]
    gender = ("Changer la vie de nos organisations en intégrant et en incorporant une perspective "
              "de genres")
    section = next(g for g in groups if gender in g)
    assert section.count("<li>") == 9 and "Recommandation n° 8" in section
    # Its heading gets no empty « Lien vers ce titre » link, a Tab stop with no text.
    assert all(m.proto.hide_anchors for m in app.markdown
               if m.value.startswith('<div class="ess-group">'))
    assert "ess-cite" in section  # every passage carries its place in the file


def test_every_card_lists_its_related_recommendations(monkeypatch, real_index):
    app = ask(page(monkeypatch, real_index), "Que disent les textes sur la blockchain ?")
    labels = [e.label for e in app.expander]
    assert labels.count("Recommandations proches") == len(cards(app)) == 5
    related = [m.value for m in app.markdown if m.value.startswith('<ul class="ess-related">')]
    assert len(related) == 5
    assert "Biens publics et communs" in related[0]  # the blockchain platform, another section
    assert "autre section" in related[0] or "autre document" in related[0]


def test_the_map_shows_the_passages_coloured_by_theme_with_their_citation(monkeypatch,
                                                                         real_index):
    import json

    app = page(monkeypatch, real_index, "Carte")
    (chart,) = [e for e in app.main if getattr(e, "type", "") == "vega_lite_chart"]
    spec = json.loads(chart.proto.spec)
    assert spec["mark"]["type"] == "point"
    color, shape = spec["encoding"]["color"], spec["encoding"]["shape"]
    assert color["field"] == shape["field"] == "thème"  # colour is not the only sign
    assert color["scale"]["domain"] == shape["scale"]["domain"]
    assert color["scale"]["domain"][-1] == "Sans thème" and "aucun" not in color["scale"]["domain"]
    colours = color["scale"]["range"]
    assert all(a != b for a, b in zip(colours, colours[1:], strict=False))  # neighbours differ
    pairs = list(zip(colours, shape["scale"]["range"], strict=True))
    assert len(set(pairs)) == len(pairs)  # no two themes look alike
    assert [t["field"] for t in spec["encoding"]["tooltip"]] == ["citation", "thèmes", "passage"]
    # Read aloud in French: the chart's name, and each point's theme and citation (not
    # Vega's « Vega visualization » and « x: 0.0018; y: … »).
    assert chart.proto.alt == "Carte des passages par thème"
    assert spec["encoding"]["description"]["field"] == "description"
    assert spec["mark"]["ariaRoleDescription"] == "passage"
    assert {"Démocratie et gouvernance", "Transition écologique"} <= set(color["scale"]["domain"])
    # The legend is HTML beside the chart: every theme whole, « Sans thème » last.
    (legend,) = [m.value for m in app.markdown if m.value.startswith('<ul class="ess-legend"')]
    assert legend.count("<li>") == len(color["scale"]["domain"])
    assert "Reconnaissance internationale</li>" in legend
    assert legend.endswith("Sans thème</li></ul>")
    (table,) = [m.value for m in app.markdown if m.value.startswith('<table class="ess-table"')]
    assert "<th scope=\"col\">Thème</th>" in table and "Sans thème" in table


def test_only_the_open_tab_runs(monkeypatch, real_index):
    app = page(monkeypatch, real_index)
    assert app.text_input(key="question").label == "Votre question"
    assert not app.selectbox and not [e for e in app.main if getattr(e, "type", "") ==
                                      "vega_lite_chart"]


def test_map_points_place_every_passage_once_for_each_of_its_themes(real_searcher):
    from collections import Counter

    from ess.explore import map_points, theme_table

    points = map_points(real_searcher)
    themes = real_searcher.themes.assignments
    assert len(points) == sum(max(1, len(themes.get(p.id, []))) for p in real_searcher.passages)
    blockchain = [p for p in points if "blockchains" in p["passage"]]
    assert blockchain[0]["citation"].endswith("recommandation n° 6")
    assert "Finance" in {p["thème"] for p in blockchain}
    assert len(blockchain) == len(blockchain[0]["thèmes"].split(", ")) >= 2
    # Every theme drawn with all its passages: as many points as the table counts.
    drawn = Counter(p["thème"] for p in points)
    counted = Counter()
    for row in theme_table(real_searcher):
        counted[row["thème"]] += row["passages"]
    assert drawn == counted
    assert drawn["Démocratie et gouvernance"] == 19 and drawn["Transition écologique"] == 13
    # No copy hides another: a passage's copies sit apart, around its place.
    assert len({(round(p["x"], 6), round(p["y"], 6)) for p in points}) > len(points) * 0.9
    assert {p["description"] for p in blockchain} == {
        f"{p['thème']} : {p['citation']}" for p in blockchain}
    assert not any("**" in p["passage"] for p in points)  # Markdown markers dropped


def test_a_shared_link_asks_its_question_and_the_page_address_follows_the_question(
        monkeypatch, real_index):
    monkeypatch.setenv("ESS_INDEX", str(real_index))
    app = AppTest.from_file(str(ROOT / "ess" / "page.py"), default_timeout=120)
    app.query_params["q"] = QUESTION
    app.run()
    assert not app.exception
    assert app.text_input(key="question").value == QUESTION
    assert "[1]" in answer_html(app) and len(cards(app)) == 5
    ask(app, "Que propose-t-on pour l'égalité femmes-hommes ?")
    assert app.query_params["q"] == "Que propose-t-on pour l'égalité femmes-hommes ?"


def test_markup_in_the_theme_catalogue_renders_as_text(monkeypatch, tmp_path, fake_model):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("## FINANCE\n\n1. Créer des fonds solidaires.\n",
                                 encoding="utf-8")
    (corpus / "themes.toml").write_text(
        '[[theme]]\nid = "piege"\nlabel = "Fonds **gras**"\n'
        'description = "Des :red[fonds] $$x^2$$ **solidaires** <b>ici</b>"\n'
        'terms = ["fonds"]\n', encoding="utf-8")
    build(corpus, tmp_path / "index", embedder=FakeEmbedder(), show_progress=False)
    app = page(monkeypatch, tmp_path / "index", "Thèmes")
    html = "\n".join(m.value for m in app.markdown if not m.value.startswith("<style>"))
    assert ("Des &#58;red&#91;fonds&#93; &#36;&#36;x^2&#36;&#36; &#42;&#42;solidaires&#42;&#42; "
            "&lt;b&gt;ici&lt;/b&gt;") in html
    for raw in (":red[", "$$", "**solidaires**", "<b>ici"):
        assert raw not in html, raw
    assert not [c for c in app.caption if "red[" in c.value]


def test_a_bug_in_a_tab_shows_a_french_message_and_is_logged(monkeypatch, real_index, caplog):
    import ess.explore
    from index.errors import UNEXPECTED

    def broken(searcher, theme_id):
        raise RuntimeError(f"/srv/secret/{theme_id} exploded")

    monkeypatch.setattr(ess.explore, "theme_groups", broken)
    app = page(monkeypatch, real_index, "Thèmes")  # asserts the page raised nothing
    assert [e.value for e in app.error] == [UNEXPECTED]
    shown = " ".join(str(getattr(e, "value", "")) for e in app.main)
    assert "/srv/secret" not in shown and "RuntimeError" not in shown
    assert "exploded" in caplog.text and "Thèmes" in caplog.text


def test_the_upload_tab_shows_no_server_path_and_limits_the_widget(monkeypatch, real_index):
    import tomllib

    from ingest.upload import MAX_UPLOAD_MB

    app = editor(page(monkeypatch, real_index, "Ajouter", EDITOR), EDITOR)
    (uploader,) = app.get("file_uploader")
    assert uploader.proto.max_upload_size_mb == MAX_UPLOAD_MB
    config = tomllib.loads((ROOT / "ess" / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB
    corpus = str(ROOT / "corpus")
    shown = [c.value for c in app.caption] + [m.value for m in app.markdown]
    assert shown and not any(corpus in text or str(ROOT) in text for text in shown)


EDITOR = "sésame des éditeurs"


def editor(app: AppTest, given: str) -> AppTest:
    """Type `given` into the editor's password box and press « Entrer »."""
    (box,) = [t for t in app.text_input if t.label == "Mot de passe des éditeurs"]
    box.input(given)
    (enter,) = [b for b in app.button if b.label == "Entrer"]
    enter.click()
    app.run()
    assert not app.exception
    return app


def upload_page(monkeypatch, tmp_path) -> tuple[AppTest, object]:
    """The « Ajouter un document » tab over a one-document corpus (fake embedder)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("## FINANCE\n\n1. Créer des fonds solidaires.\n",
                                 encoding="utf-8")
    build(corpus, tmp_path / "index", model="fake", show_progress=False)
    return editor(page(monkeypatch, tmp_path / "index", "Ajouter", EDITOR), EDITOR), corpus


def upload(app: AppTest, name: str, data: bytes) -> AppTest:
    (uploader,) = app.get("file_uploader")
    uploader.set_value((name, data, "application/octet-stream"))
    app.run()
    (add,) = [b for b in app.button if b.label.startswith("Ajouter au corpus")]
    add.click()
    app.run()
    assert not app.exception
    return app


def shown_text(app: AppTest) -> str:
    return " ".join([str(getattr(e, "value", "")) for e in app.main] +
                    [s.label for s in app.main.status])


def test_an_unusable_upload_is_refused_with_its_reason_and_leaves_the_corpus(
        monkeypatch, tmp_path, fake_model):
    app, corpus = upload_page(monkeypatch, tmp_path)
    app = upload(app, "rapport.pdf", b"not a pdf")
    assert [e.value for e in app.error] == [
        "« rapport.pdf » n'a pas été ajouté : ce n'est pas un PDF : exportez le document "
        "d'origine en PDF. Le fichier a été mis de côté ; corrigez-le ou enregistrez-le dans un "
        "autre format, puis réessayez."]
    assert not app.success and [s.state for s in app.main.status] == ["error"]
    assert "rapport.pdf ajouté" not in shown_text(app) and "Traceback" not in shown_text(app)
    assert str(tmp_path) not in shown_text(app)
    assert sorted(p.name for p in corpus.iterdir()) == ["a.md"]
    assert (tmp_path / "index" / "quarantine" / "rapport.pdf").read_bytes() == b"not a pdf"


def test_a_usable_upload_says_how_many_passages_it_gave(monkeypatch, tmp_path, fake_model):
    app, corpus = upload_page(monkeypatch, tmp_path)
    app = upload(app, "semences.md", "1. Protéger les semences paysannes.\n".encode())
    assert not app.error
    (status,) = app.main.status
    assert status.state == "complete"
    assert status.label == ("semences.md ajouté : 1 passage (1 ajouté, 0 modifié, 0 supprimé, "
                            "1 inchangé).")
    assert sorted(p.name for p in corpus.iterdir()) == ["a.md", "semences.md"]


def test_an_upload_whose_build_fails_shows_the_french_message_and_leaves_the_corpus(
        monkeypatch, tmp_path, fake_model, caplog):
    import index.embed
    from index.errors import UNEXPECTED

    app, corpus = upload_page(monkeypatch, tmp_path)
    monkeypatch.setattr(index.embed, "load_embedder",
                        lambda name=None: FakeEmbedder(name or "fake", fail_after=0))
    app = upload(app, "semences.md", "1. Protéger les semences paysannes.\n".encode())
    assert [e.value for e in app.error] == [UNEXPECTED]
    assert not app.success and "Traceback" not in shown_text(app)
    assert sorted(p.name for p in corpus.iterdir()) == ["a.md"]
    assert "embedding interrupted" in caplog.text


def uploaders(app: AppTest) -> list:
    return app.get("file_uploader")


def test_without_an_editor_secret_there_is_no_upload_anywhere(monkeypatch, real_index):
    app = page(monkeypatch, real_index)
    assert [t.label for t in app.tabs] == ["Question", "Thèmes", "Carte"]
    for tab in ("Question", "Thèmes", "Carte"):
        app.session_state["onglet"] = tab
        app.run()
        assert not app.exception and not uploaders(app)
        assert not [t for t in app.text_input if t.label == "Mot de passe des éditeurs"]


def test_with_a_secret_the_tab_asks_for_it_before_the_uploader(monkeypatch, real_index):
    app = page(monkeypatch, real_index, "Ajouter", "bon secret 1")
    assert [t.label for t in app.tabs] == ["Question", "Thèmes", "Carte", "Ajouter"]
    (box,) = [t for t in app.text_input if t.label == "Mot de passe des éditeurs"]
    assert box.proto.type == box.proto.PASSWORD
    assert not uploaders(app)
    app = editor(app, "bon secret 1")
    assert len(uploaders(app)) == 1 and not app.error
    assert not [t for t in app.text_input if t.label == "Mot de passe des éditeurs"]
    app.session_state["onglet"] = "Question"
    app.run()
    app.session_state["onglet"] = "Ajouter"
    app.run()
    assert len(uploaders(app)) == 1  # the session remembers its editor


def test_a_wrong_secret_slows_its_own_session_only_and_says_for_how_long(monkeypatch,
                                                                         real_index):
    import functools

    from ess import editor as throttle_module

    class Clock:  # the throttle's time, moved by the test: no sleep, no race with the page
        now = 1000.0

        def __call__(self):
            return self.now

    clock = Clock()
    slowed = functools.partial(throttle_module.Throttle, clock=clock)
    monkeypatch.setattr(throttle_module, "Throttle", slowed)
    secret = "bon secret 3"  # a throttle of its own: the page keeps one per secret
    app = editor(page(monkeypatch, real_index, "Ajouter", secret), "mauvais")
    assert [e.value for e in app.error] == ["Mot de passe incorrect : réessayez dans 1 s."]
    assert not uploaders(app)
    app = editor(app, "encore faux")  # within the wait the first failure set: not read
    assert [e.value for e in app.error] == ["Trop d'essais : réessayez dans 1 s."]
    assert not uploaders(editor(app, secret))  # even the right one, while it waits
    # Another browser session is another editor: the first one's mistakes do not keep
    # it out.
    other = editor(page(monkeypatch, real_index, "Ajouter", secret), secret)
    assert not other.error and len(uploaders(other)) == 1
    clock.now += 1
    assert len(uploaders(editor(app, secret))) == 1


def test_scores_are_written_the_french_way(monkeypatch, real_index):
    import re

    app = ask(page(monkeypatch, real_index), QUESTION)
    assert all(re.search(r"pertinence \d,\d\d<", c) for c in cards(app)), cards(app)[0]
    related = " ".join(m.value for m in app.markdown
                       if m.value.startswith('<ul class="ess-related">'))
    assert re.search(r"similarité \d,\d\d", related)
    assert not re.search(r"(pertinence|similarité) \d\.\d", related + " ".join(cards(app)))


def test_the_answer_comes_right_under_the_form_and_the_examples_after_it(monkeypatch,
                                                                          real_index):
    app = page(monkeypatch, real_index)
    assert [h.value for h in app.header] == ["Exemples de questions"]  # h2, after the h1
    app = ask(app, QUESTION)
    assert [h.value for h in app.main.header] == ["Réponse", "Passages", "Autres questions"]
    shown = [getattr(e, "value", None) for e in app.main]
    assert shown.index("Réponse") < shown.index("Passages") < shown.index("Autres questions")
    assert [b.label for b in app.button][1] == EXAMPLES_FIRST  # the examples still answer


EXAMPLES_FIRST = "Comment financer les entreprises de l'ESS ?"
