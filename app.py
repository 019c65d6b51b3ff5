"""The Streamlit page: `streamlit run app.py`.

Ask in French, get a short answer built from cited passages. The logic lives in the
library (index.answer composes, index.render escapes and lays out); this file reads
the widgets and places what the library returns.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from index import store
from index.answer import NO_ANSWER, Answerer
from index.config import default_index
from index.errors import EssError
from index.render import STYLE, answer_html, card_html, context_html
from index.search import Searcher, narrow, sections_of

EXAMPLES = [
    "Comment financer les entreprises de l'ESS ?",
    "Que propose-t-on pour l'égalité femmes-hommes ?",
    "Comment lutter contre la fracture numérique ?",
    "Quelles valeurs portent les mutuelles ?",
]
CANDIDATES = 30  # passages fetched per question; the filters and the count narrow them

st.set_page_config(page_title="Recherche ESS", page_icon="🔎", layout="wide")


@st.cache_resource(show_spinner="Chargement du modèle et de l'index…")
def load(index_dir: str, build: str) -> Answerer:
    """One Answerer per index build: a new ingest is picked up at the next question."""
    return Answerer(Searcher(Path(index_dir)))


def ask(question: str) -> None:
    st.session_state.question = question


st.markdown(STYLE, unsafe_allow_html=True)
st.title("Recherche dans les textes de l'ESS")
st.caption("Posez une question en français : la réponse est faite de phrases des documents, "
           "chacune suivie du numéro du passage d'où elle vient.")

index_dir = default_index()
try:
    answerer = load(str(index_dir), store.current(index_dir).name)
except EssError as exc:
    st.error(str(exc))  # it says which command builds or rebuilds the index
    st.stop()

with st.form("ask"):
    st.text_input("Votre question", key="question", max_chars=2000,
                  placeholder="Que propose-t-on pour financer les coopératives ?")
    count = st.slider("Nombre de passages", min_value=1, max_value=10, value=5)
    st.form_submit_button("Chercher", type="primary")

st.write("Exemples :")
columns = st.columns(2)
for number, example in enumerate(EXAMPLES):
    columns[number % 2].button(example, on_click=ask, args=(example,), use_container_width=True)

question = st.session_state.get("question", "").strip()
if question:
    hits = answerer.searcher.search(question, CANDIDATES)
    with st.sidebar:
        st.header("Filtres")
        documents = st.multiselect("Documents", sorted({h.passage.title for h in hits}),
                                   placeholder="Tous les documents")
        sections = st.multiselect("Sections", sections_of(hits, documents),
                                  placeholder="Toutes les sections")
    hits = narrow(hits, documents, sections, count)
    answer = answerer.compose(question, hits)

    st.header("Réponse")
    if answer.answered:
        st.markdown(answer_html(answer), unsafe_allow_html=True)
    else:
        st.warning(NO_ANSWER + " Voici les passages les plus proches.")
    st.download_button("Télécharger la réponse (Markdown)", answer.to_markdown(),
                       file_name="reponse-ess.md", mime="text/markdown")

    st.header("Passages")
    if not hits:
        st.info("Aucun passage ne correspond à ces filtres.")
    corpus = Path(answerer.searcher.store.manifest["corpus"])
    for number, hit in enumerate(hits, 1):
        with st.container(border=True):
            st.markdown(card_html(number, hit, answer.highlights(number - 1)),
                        unsafe_allow_html=True)
            with st.expander("Voir le passage dans son contexte"):
                st.markdown(context_html(hit, corpus), unsafe_allow_html=True)
