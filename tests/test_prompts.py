"""Which of a model's configured prompts become its query and passage prefixes
(index.embed.choose_prompts), on the prompt tables real models ship."""

from __future__ import annotations

import pytest

from index.embed import Prompts, choose_prompts

EMBEDDINGGEMMA = {
    "query": "task: search result | query: ", "document": "title: none | text: ",
    "BitextMining": "task: search result | query: ", "Clustering": "task: clustering | query: ",
    "InstructionRetrieval": "task: code retrieval | query: ",
    "Retrieval-query": "task: search result | query: ",
    "Retrieval-document": "title: none | text: ", "STS": "task: sentence similarity | query: ",
}


@pytest.mark.parametrize(("prompts", "default", "expected"), [
    (EMBEDDINGGEMMA, None, Prompts("task: search result | query: ", "title: none | text: ",
                                   "query", "document")),
    ({"query": "query: ", "passage": "passage: "}, None,
     Prompts("query: ", "passage: ", "query", "passage")),
    ({"search_query": "search_query: ", "search_document": "search_document: ",
      "classification": "classification: "}, None,
     Prompts("search_query: ", "search_document: ", "search_query", "search_document")),
    ({"retrieval.query": "Represent the query: ", "retrieval.passage": "Represent the text: "},
     None, Prompts("Represent the query: ", "Represent the text: ", "retrieval.query",
                   "retrieval.passage")),
    ({"s2p_query": "Instruct: retrieve passages\nQuery: ", "s2s_query": "Instruct: similar\n"},
     None, Prompts("Instruct: retrieve passages\nQuery: ", "", "s2p_query", None)),
    # only a default prompt: the library applies it to everything, and so do we
    ({"retrieval": "Represent this: "}, "retrieval",
     Prompts("Represent this: ", "Represent this: ", "retrieval", "retrieval")),
    # queries-only prompts (BGE): passages are read plain
    ({"query": "Represent this sentence for searching relevant passages: ", "document": ""},
     None, Prompts("Represent this sentence for searching relevant passages: ", "", "query",
                   None)),
    ({"query": "", "document": ""}, None, Prompts("", "")),
])
def test_retrieval_prompts_are_found_by_their_usual_names(prompts, default, expected):
    assert choose_prompts(prompts, default) == expected


def test_an_e5_model_without_prompts_gets_e5s_prefixes_and_others_none():
    assert choose_prompts({}, e5_like=True)[:2] == ("query: ", "passage: ")
    assert choose_prompts({}, e5_like=False)[:2] == ("", "")
    # declared prompts win over the name
    assert choose_prompts({"query": "q: "}, e5_like=True)[:2] == ("q: ", "")


def test_a_default_prompt_name_that_is_not_declared_is_ignored():
    assert choose_prompts({"query": "q: "}, "missing") == Prompts("q: ", "", "query", None)
