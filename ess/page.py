"""The Streamlit page: `ess serve` runs it (or `streamlit run app.py` in a checkout).

Ask in French, get a short answer built from cited passages. The logic lives in the
library (ess.engine searches and answers, ess.render escapes and lays out); this file
reads the widgets and places what the engine returns.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import streamlit as st

from answer.compose import NO_ANSWER
from answer.gate import NOT_A_QUESTION
from answer.questions import is_question
from ess import editor
from ess.engine import CANDIDATES, Engine
from ess.explore import map_points, theme_groups, theme_marks, theme_table
from ess.render import (
    STYLE,
    answer_html,
    card_html,
    chrome_html,
    context_html,
    group_html,
    legend_html,
    related_html,
    table_html,
    text_html,
    written_html,
)
from index.config import default_index
from index.errors import UNEXPECTED, EssError, IndexMissing
from index.limits import MAX_QUESTION_CHARS
from index.search import sections_of
from ingest.upload import MAX_UPLOAD_MB, add_document, safe_name

EXAMPLES = [
    "Comment financer les entreprises de l'ESS ?",
    "Que propose-t-on pour l'égalité femmes-hommes ?",
    "Comment lutter contre la fracture numérique ?",
    "Quelles valeurs portent les mutuelles ?",
]
log = logging.getLogger("ess.page")

st.set_page_config(page_title="Recherche ESS", page_icon="🔎", layout="wide")


@st.cache_resource(show_spinner=False)
def engine_of(index_dir: str) -> Engine:
    """One engine per process: it loads the current build when first asked and follows
    each new ingest (ess.engine)."""
    return Engine(Path(index_dir))


@st.cache_data(show_spinner=False)
def points(index_dir: str, build_name: str) -> list[dict]:
    return map_points(engine_of(index_dir).searcher)


@st.cache_data(show_spinner=False, max_entries=64)
def related_of(index_dir: str, build_name: str, passage_id: str) -> list:
    """A card's related passages, once per build (the page reruns at every click)."""
    return engine_of(index_dir).related(passage_id, 5)


@st.cache_resource(show_spinner=False)
def editor_throttle(secret: str) -> editor.Throttle:
    """One throttle per process, which counts failed secrets per client (ess/editor.py)."""
    return editor.Throttle(secret)


def editor_client() -> editor.Client:
    """Who is typing the secret: the browser's address and this page session (a random
    key kept in its session state, so that another tab is another session)."""
    session = st.session_state.setdefault("session-editeur", secrets.token_hex(16))
    address = st.context.ip_address  # None on this machine; not text under AppTest
    return editor.Client(address if isinstance(address, str) else None, session)


def editor_secret() -> str | None:
    """The editor secret; None, and no upload offered, when none is set or it is unusable
    (the reason goes to the server's log: it names a server path)."""
    try:
        return editor.secret()
    except EssError as exc:
        log.error("no uploads from the page: %s", exc)
        return None


def ask(question: str) -> None:
    st.session_state.question = question


def llm_settings():
    """The language model that writes answers (answer.llm), None when none is configured
    or its settings are unusable (the reason goes to the server's log)."""
    from answer.llm import LlmSettings

    try:
        return LlmSettings.from_env()
    except EssError as exc:
        log.error("no written answers: %s", exc)
        return None


def written_answer(answer):
    """The answer the configured model writes, checked (answer.written); None when no
    model is configured. Kept per question and passages, so that reruns do not ask again."""
    settings = llm_settings()
    if settings is None:
        return None
    key = (settings, answer.question, tuple(h.passage.id for h in answer.hits))
    kept = st.session_state.setdefault("reponses-redigees", {})
    if key not in kept:
        with st.spinner(f"Rédaction de la réponse par {settings.model}…", show_time=True):
            kept.clear()
            kept[key] = engine.write(answer, settings)
    return kept[key]


st.html(STYLE)  # style only: Streamlit puts it where it takes no room
st.html(chrome_html(), unsafe_allow_javascript=True)  # <html lang="fr">, chrome in French
st.title("Recherche dans les textes de l'ESS", anchor=False)
st.caption("Posez une question en français : la réponse est faite de phrases des documents, "
           "chacune suivie du numéro du passage d'où elle vient.")

index_dir = default_index()
engine = engine_of(str(index_dir))
try:
    with st.spinner("Chargement du modèle et de l'index…", show_time=False):
        current_build = engine.build
except IndexMissing:
    log.error("no index in %s", index_dir)
    st.error("Pas encore d'index : construisez-le avec `ess ingest`, ou lancez la page avec "
             "`ess serve`, qui le construit d'abord. Puis rechargez cette page.")
    st.stop()
except EssError as exc:
    st.error(str(exc))  # it says which command rebuilds the index
    st.stop()
except Exception:
    log.exception("loading the index %s failed", index_dir)
    st.error(UNEXPECTED)
    st.stop()
searcher = engine.searcher
if "question" not in st.session_state and st.query_params.get("q"):
    st.session_state.question = st.query_params["q"][:MAX_QUESTION_CHARS]  # a shared link: ?q=…


def examples() -> None:
    for example in EXAMPLES:
        st.button(example, on_click=ask, args=(example,), width="stretch")


def question_tab() -> None:
    """The question, then at once its answer and the cited passages; the examples come
    first only while nothing is asked, after the passages once a question is."""
    with st.form("ask"):
        st.text_input("Votre question", key="question", max_chars=MAX_QUESTION_CHARS,
                      placeholder="Que propose-t-on pour financer les coopératives ?")
        st.caption(f"Entrée ou « Chercher » lance la recherche "
                   f"({MAX_QUESTION_CHARS:,} caractères au plus).".replace(",", " "))
        if (model := llm_settings()) is not None:
            st.caption(f"La réponse est rédigée par le modèle {model.model} : la question et "
                       f"les passages trouvés sont envoyés à {model.where}.")
        count = st.slider("Nombre de passages", min_value=1, max_value=10, value=5)
        st.form_submit_button("Chercher", type="primary")

    question = st.session_state.get("question", "").strip()
    if question:  # the address of the page now asks this question: it can be shared
        st.query_params["q"] = question
    else:
        st.query_params.pop("q", None)
        st.header("Exemples de questions", anchor=False)
        examples()
        return
    if not is_question(question):  # « bonjour », « ? »: no passage dressed as an answer
        st.info(NOT_A_QUESTION)
        st.subheader("Exemples de questions", anchor=False)
        examples()
        return
    with st.spinner("Recherche des passages…", show_time=False):
        retrieval = engine.retrieve(question, CANDIDATES)
        hits = retrieval.hits
    with st.sidebar:
        st.header("Filtres", anchor=False)
        documents = st.multiselect("Documents", sorted({h.passage.title for h in hits}),
                                   placeholder="Tous les documents")
        sections = st.multiselect("Sections", sections_of(hits, documents),
                                  placeholder="Toutes les sections")
    answer = engine.answer(question, count, retrieval=retrieval, documents=documents,
                           sections=sections)
    hits = answer.hits

    written = written_answer(answer)  # None without a model (ESS_LLM_URL)
    if written is not None and written.mode == "llm":
        st.header("Réponse rédigée", anchor=False)
        st.markdown(written_html(written), unsafe_allow_html=True)
        st.caption(written.caption())
    else:
        st.header("Réponse", anchor=False)
        if written is not None and answer.answered:
            st.info(f"Pas de réponse rédigée : {written.fallback}. Voici la réponse tirée des "
                    "passages.")
        if answer.answered:
            st.markdown(answer_html(answer), unsafe_allow_html=True)
        else:
            st.warning(" ".join(filter(None, [NO_ANSWER, answer.reason,
                                              "Voici les passages les plus proches."])))
    st.download_button("Télécharger la réponse (Markdown)", answer.to_markdown(),
                       file_name="reponse-ess.md", mime="text/markdown")

    st.header("Passages", anchor=False)
    if not hits:
        st.info("Aucun passage ne correspond à ces filtres.")
    for number, hit in enumerate(hits, 1):
        with st.container(border=True):
            st.markdown(card_html(number, hit, answer.highlights(number - 1)),
                        unsafe_allow_html=True, anchors=False)  # no empty link stop
            with st.expander("Voir le passage dans son contexte"):
                st.markdown(context_html(hit, engine.source_text(hit.passage)),
                            unsafe_allow_html=True)
            with st.expander("Recommandations proches"):
                st.markdown(related_html(related_of(str(index_dir), current_build,
                                                    hit.passage.id)),
                            unsafe_allow_html=True)
    st.header("Autres questions", anchor=False)
    examples()


def themes_tab() -> None:
    """A theme's passages, by document and section."""
    st.header("Explorer un thème", anchor=False)
    counts = engine.themes.counts()
    if not counts:
        st.info("Aucun catalogue de thèmes : ajoutez themes.toml au dossier du corpus, puis "
                "relancez `ess ingest`.")
    else:
        labels = {t.id: f"{t.label} ({counts[t.id]})" for t in engine.themes.themes}
        chosen_theme = st.selectbox("Thème", list(labels), format_func=labels.get,
                                    placeholder="Choisissez un thème")
        st.markdown(text_html(engine.themes.theme(chosen_theme).description, "ess-caption"),
                    unsafe_allow_html=True)
        for title, section, passages in theme_groups(searcher, chosen_theme):
            st.markdown(group_html(title, section, passages), unsafe_allow_html=True,
                        anchors=False)


MAP_NAME = "Carte des passages par thème"  # the chart's name, read aloud


def map_tab() -> None:
    """Every passage placed by meaning, marked by theme (colour and shape), and beside it
    the passages of each theme by document."""
    import altair as alt  # only when the map is shown
    import pandas as pd

    st.header("Carte des passages", anchor=False)
    st.caption("Chaque point est un passage, placé selon sa proximité de sens avec les autres "
               "(les deux axes principaux des vecteurs du modèle) ; sa couleur et sa forme "
               "disent son thème. Un passage de plusieurs thèmes y est une fois pour chacun, "
               "en petit groupe. Survolez un point pour lire sa citation.")
    frame = pd.DataFrame(points(str(index_dir), current_build))
    order, colours, shapes = theme_marks(frame["thème"])
    chart = alt.Chart(frame).mark_point(size=90, filled=True, opacity=0.9,
                                        ariaRoleDescription="passage").encode(
        x=alt.X("x:Q", axis=None), y=alt.Y("y:Q", axis=None),
        color=alt.Color("thème:N", legend=None, scale=alt.Scale(domain=order, range=colours)),
        shape=alt.Shape("thème:N", legend=None, scale=alt.Scale(domain=order, range=shapes)),
        tooltip=["citation:N", "thèmes:N", "passage:N"],
        description="description:N",  # read aloud for the point, in French
    ).properties(height=420)
    chart_column, table_column = st.columns([3, 2])
    with chart_column:
        st.markdown(legend_html(order, colours, shapes), unsafe_allow_html=True)
        st.altair_chart(chart, width="stretch", alt=MAP_NAME)
    with table_column:
        st.subheader("Passages par thème et document", anchor=False)
        st.caption("Un passage de plusieurs thèmes compte dans chacun.")
        st.markdown(table_html(theme_table(searcher), {"thème": "Thème", "document": "Document",
                                                      "passages": "Passages"}, ("passages",)),
                    unsafe_allow_html=True)


def add_tab(secret: str) -> None:
    """For editors, who give the editor secret: add a document and update the index."""
    st.header("Ajouter un document", anchor=False)
    if not st.session_state.get("editeur"):
        st.caption("L'ajout de documents est réservé aux éditeurs.")
        with st.form("acces-editeur"):
            given = st.text_input("Mot de passe des éditeurs", type="password")
            if st.form_submit_button("Entrer"):
                attempt = editor_throttle(secret).check(given, editor_client())
                if not attempt.ok:
                    st.error(attempt.message)
                    return
                st.session_state.editeur = True
                st.rerun()
        return
    corpus_dir = engine.corpus
    st.caption("Le document est enregistré dans le dossier du corpus, puis l'index est mis à "
               "jour : seuls ses passages sont calculés. Les autres onglets répondent pendant ce "
               "temps avec l'index actuel. Un fichier dont aucun passage ne peut être tiré est "
               "refusé, avec la raison, et mis de côté hors du corpus.")
    upload = st.file_uploader(f"Document : PDF, Word, HTML, Markdown ou texte, "
                              f"{MAX_UPLOAD_MB} Mo au plus ; glissez-le ici ou choisissez-le",
                              type=["pdf", "docx", "html", "htm", "md", "txt"],
                              max_upload_size=MAX_UPLOAD_MB)
    if upload is not None and st.button("Ajouter au corpus et mettre l'index à jour"):
        model = engine.model
        try:
            with st.status(f"Indexation de {safe_name(upload.name)}…") as status:
                added = add_document(corpus_dir, index_dir, upload.name, upload.getvalue(),
                                     model)
                status.update(label=added.message(), state="complete")
        except EssError as exc:  # refused, and moved out of the corpus: say why
            st.error(str(exc))


# Only the open tab runs (on_change="rerun"): the first answer does not wait for the map.
# Short labels, so that the tabs fit a phone's width. Uploads only where an editor
# secret is configured.
TABS = {"Question": question_tab, "Thèmes": themes_tab, "Carte": map_tab}
secret = editor_secret()
if secret is not None:
    TABS["Ajouter"] = lambda: add_tab(secret)
for (name, show), container in zip(TABS.items(), st.tabs(list(TABS), key="onglet",
                                                          on_change="rerun"), strict=True):
    if container.open:
        with container:
            try:
                show()
            except Exception:  # a bug: logged for the maintainer, never a traceback on the page
                log.exception("the tab %r failed", name)
                st.error(UNEXPECTED)
