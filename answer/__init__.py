"""Answering a question from the passages the search found: the units quoted
(compose), whether anything answers (gate), the models that make both choices
(features, trees, models/), what a question asks for (questions), and the evaluation
of search and answers together (evaluate)."""
