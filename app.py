"""The Streamlit page (issue #4 builds it): `streamlit run app.py`.

For now it only says so and points to the command line, which already answers.
"""

import streamlit as st

st.set_page_config(page_title="Recherche ESS", page_icon="🔎")
st.title("Recherche dans le corpus ESS")
st.info(
    "La page de recherche arrive bientôt. En attendant, posez votre question en ligne de "
    "commande : `ess search \"Comment financer les entreprises de l'ESS ?\"`"
)
