"""ingest/read.py: decoding, finding and reading corpus files, document titles."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from pathlib import Path

import pytest

from conftest import CORPUS, ROADMAP, SUMMARY
from ingest.read import (
    Document,
    UnreadableFile,
    catalogue_titles,
    decode,
    find_files,
    guess_title,
    read_corpus,
    read_text,
)

FRENCH = "Économie sociale et solidaire : l’accès au crédit à Genève, « guillemets », Œuvre"
# The same without the characters latin-1 lacks (’ and Œ).
LATIN1 = "Économie sociale et solidaire : l'accès au crédit à Genève, « guillemets », ça"


# --- decode ---------------------------------------------------------------------------

def test_decode_utf8_without_bom():
    assert decode(FRENCH.encode("utf-8")) == (FRENCH, "utf-8")


def test_decode_utf8_with_bom_drops_it():
    text, encoding = decode(b"\xef\xbb\xbf" + "Été solidaire".encode())
    assert encoding == "utf-8"
    assert text == "Été solidaire"
    assert text[0] == "É"  # offset 0 is the first real character, not the BOM


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_decode_utf16_with_bom(codec):
    data = FRENCH.encode(codec)
    if codec != "utf-16":  # the explicit-endian codecs write no BOM: add it
        data = ("\ufeff".encode(codec)) + data
    text, encoding = decode(data)
    assert text == FRENCH
    assert encoding == "utf-16"
    assert "\ufeff" not in text


def test_decode_cp1252_french():
    text, encoding = decode(FRENCH.encode("cp1252"))
    assert text == FRENCH
    assert encoding == "cp1252"


def test_decode_latin1_french():
    text, encoding = decode(LATIN1.encode("latin-1"))
    assert text == LATIN1
    # These bytes mean the same in latin-1 and cp1252: either name is correct.
    assert encoding in {"cp1252", "latin_1"}


def test_decode_line_endings_become_newlines():
    text, _ = decode("Première ligne\r\nDeuxième\rTroisième\n".encode())
    assert text == "Première ligne\nDeuxième\nTroisième\n"
    text, enc = decode("un\r\ndeux\r\n".encode("cp1252") + b"\xe9t\xe9")
    assert (text, enc) == ("un\ndeux\nété", "cp1252")


def test_decode_normalises_to_nfc():
    text, _ = decode("Gene\u0300ve, cafe\u0301".encode("utf-8"))
    assert text == "Genève, café"
    assert len(text) == 12


def test_decode_keeps_non_breaking_spaces():
    raw = "Prix\u00a0: 10\u202f% « solidaire »"
    text, _ = decode(raw.encode("utf-8"))
    assert text == raw
    assert "\u00a0" in text and "\u202f" in text


@pytest.mark.parametrize("data", [b"\x00\x01\x02PK\x03\x04", b"texte\x00binaire",
                                  "Genève".encode("utf-16-le")])
def test_decode_binary_raises(data):
    with pytest.raises(UnreadableFile, match="octets nuls"):
        decode(data)


@pytest.mark.parametrize("codec", ["utf-32", "utf-32-be"])
def test_decode_utf32_with_bom(codec):
    data = "Été à Genève".encode(codec)
    if codec == "utf-32-be":
        data = b"\x00\x00\xfe\xff" + data
    assert decode(data) == ("Été à Genève", "utf-32")


def test_a_date_stamped_file_name_is_not_a_hash():
    assert guess_title(Path("20240115-rapport-annuel.txt"), "Texte") == "20240115 rapport annuel"


def test_a_hash_named_blank_text_falls_back_to_the_name():
    assert guess_title(Path("000_6635172e3140c73e.txt"), "  \n") == "000_6635172e3140c73e"


def test_decode_empty_bytes():
    assert decode(b"") == ("", "utf-8")


def test_read_text_equals_decode(tmp_path):
    path = tmp_path / "note.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "Ligne un\r\nL’ESS à Gene\u0300ve\r".encode("utf-8"))
    assert read_text(path) == decode(path.read_bytes())[0] == "Ligne un\nL’ESS à Genève\n"


# --- find_files -----------------------------------------------------------------------

def _touch(path: Path, text: str = "Texte.") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_find_files_recursive_filtered_and_sorted(tmp_path):
    for rel in ["b.txt", "a.md", "NOTES.TXT", "Rapport.Md", "image.png", "data.csv",
                "README.md", ".cache.txt", ".cache/x.txt", "sous/z.txt", "sous/a.txt",
                "sous/profond/c.md", "sous/.git/d.txt", "texte.txt.bak"]:
        _touch(tmp_path / rel)
    found = [p.relative_to(tmp_path).as_posix() for p in find_files(tmp_path)]
    assert found == ["NOTES.TXT", "Rapport.Md", "a.md", "b.txt",
                     "sous/a.txt", "sous/z.txt", "sous/profond/c.md"]
    assert find_files(tmp_path) == find_files(tmp_path)  # stable


def test_find_files_skips_readme_in_any_case(tmp_path):
    _touch(tmp_path / "readme.MD")
    _touch(tmp_path / "rapport.md")
    assert [p.name for p in find_files(tmp_path)] == ["rapport.md"]


def test_find_files_does_not_loop_on_symlink(tmp_path):
    _touch(tmp_path / "dossier" / "rapport.txt")
    os.symlink(tmp_path, tmp_path / "dossier" / "boucle")  # a folder linked to its parent
    found = find_files(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["dossier/rapport.txt"]


def test_find_files_accents_and_spaces(tmp_path):
    _touch(tmp_path / "Économie sociale" / "synthèse des rencontres.txt", "Genève")
    found = find_files(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "Économie sociale/synthèse des rencontres.txt"]
    assert read_text(found[0]) == "Genève"


def test_find_files_on_real_corpus():
    assert [p.name for p in find_files(CORPUS)] == [ROADMAP, SUMMARY]


# --- read_corpus ----------------------------------------------------------------------

def test_read_corpus_documents_and_skipped(tmp_path):
    good = "# Rapport\n\nL’ESS à Genève.\n".encode()
    old = "Crédit coopératif : l’accès à l’emploi.".encode("cp1252")
    (tmp_path / "sous dossier").mkdir()
    (tmp_path / "sous dossier" / "rapport.md").write_bytes(good)
    (tmp_path / "ancien.txt").write_bytes(old)
    (tmp_path / "vide.txt").write_bytes(b"")
    (tmp_path / "blanc.md").write_bytes(b" \r\n\n\t")
    (tmp_path / "binaire.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "inconnu.txt").write_bytes(b"\x81\x8d\x8f\x90\x9d" * 20)
    os.symlink(tmp_path / "absent.txt", tmp_path / "lien.txt")  # a dangling link

    documents, skipped = read_corpus(tmp_path)

    by_source = {d.source: d for d in documents}
    assert sorted(by_source) == ["ancien.txt", "sous dossier/rapport.md"]
    doc = by_source["sous dossier/rapport.md"]
    assert isinstance(doc, Document)
    assert doc.path == tmp_path / "sous dossier" / "rapport.md"
    assert doc.text == "# Rapport\n\nL’ESS à Genève.\n"
    assert doc.sha256 == hashlib.sha256(good).hexdigest()
    assert (doc.encoding, doc.title) == ("utf-8", "Rapport")
    old_doc = by_source["ancien.txt"]
    assert old_doc.encoding == "cp1252"
    assert old_doc.text == "Crédit coopératif : l’accès à l’emploi."
    assert old_doc.sha256 == hashlib.sha256(old).hexdigest()  # of the raw bytes

    reasons = {s.source: s.reason for s in skipped}
    assert reasons["vide.txt"] == "fichier vide : ajoutez-y du texte, ou retirez-le du dossier"
    assert reasons["blanc.md"] == "fichier vide : ajoutez-y du texte, ou retirez-le du dossier"
    assert reasons["binaire.txt"] == ("fichier binaire (il contient des octets nuls), pas du "
                                      "texte : enregistrez-le en texte (.txt), ou retirez-le "
                                      "du dossier")
    assert reasons["inconnu.txt"] == ("encodage inconnu : enregistrez-le en UTF-8, ou "
                                      "retirez-le du dossier")
    assert reasons["lien.txt"] == ("lien symbolique cassé (sa cible n'existe pas) : corrigez ce "
                                   "lien ou supprimez-le")
    assert set(reasons) == {"vide.txt", "blanc.md", "binaire.txt", "inconnu.txt", "lien.txt"}


def test_read_corpus_real_files():
    documents, skipped = read_corpus(CORPUS)
    assert skipped == []
    assert [d.source for d in documents] == [ROADMAP, SUMMARY]
    for doc in documents:
        raw = (CORPUS / doc.source).read_bytes()
        assert doc.sha256 == hashlib.sha256(raw).hexdigest()
        assert doc.text == read_text(CORPUS / doc.source)
        assert doc.encoding == "utf-8"


# --- titles ---------------------------------------------------------------------------

def test_catalogue_titles_real_readme():
    titles = catalogue_titles(CORPUS)
    assert titles[ROADMAP] == ("Feuille de route des Rencontres du Mont-Blanc – Amériques "
                               "(Carthagène, 2022)")
    assert titles[SUMMARY] == "Synthèse des Rencontres du Mont-Blanc (Genève, 2026)"
    assert set(titles) == {ROADMAP, SUMMARY}


def test_read_corpus_uses_real_catalogue_titles():
    titles = {d.source: d.title for d in read_corpus(CORPUS)[0]}
    assert titles == catalogue_titles(CORPUS)


def test_catalogue_titles_tmp_readme(tmp_path):
    (tmp_path / "README.md").write_text(
        "# Corpus\n\nQuelques documents.\n\n"
        "| Fichier | Date | Titre |\n"
        "| :--- | --- | ---: |\n"
        "| `rapport.txt` | 2024 | Rapport sur l’ESS à Genève |\n"
        "| sous/note.md | 2025 | Note « finance solidaire » |\n"
        "| court.txt | 2023 |\n"
        "\nTexte après le tableau.\n"
        "| autre.txt | 2020 | Pas un titre : hors tableau |\n",
        encoding="utf-8")
    assert catalogue_titles(tmp_path) == {
        "rapport.txt": "Rapport sur l’ESS à Genève",
        "sous/note.md": "Note « finance solidaire »",
    }


def test_catalogue_titles_without_readme(tmp_path):
    assert catalogue_titles(tmp_path) == {}


def test_catalogue_title_wins_over_h1(tmp_path):
    (tmp_path / "README.md").write_text(
        "| Fichier | Titre |\n| --- | --- |\n| `rapport.md` | Titre du catalogue |\n",
        encoding="utf-8")
    _touch(tmp_path / "rapport.md", "# Titre dans le fichier\n\nTexte.")
    _touch(tmp_path / "autre.md", "# Titre dans le fichier\n\nTexte.")
    titles = {d.source: d.title for d in read_corpus(tmp_path)[0]}
    assert titles == {"rapport.md": "Titre du catalogue", "autre.md": "Titre dans le fichier"}


def test_guess_title_leading_h1_wins():
    text = "\n# **Rapport annuel** de l’ESS #\n\nIntroduction."
    assert guess_title(Path("rapport-annuel_2024.md"), text) == "Rapport annuel de l’ESS"
    # A `#` heading further down is not the title.
    assert guess_title(Path("note.md"), "Intro.\n# Plus bas\n") == "Note"


def test_guess_title_from_file_name():
    assert guess_title(Path("rapport-annuel_2024.md"), "Texte") == "Rapport annuel 2024"
    assert guess_title(Path("sous/économie__sociale--genève.txt"), "Texte") == \
        "Économie sociale genève"


def test_guess_title_hash_name_uses_first_line():
    text = "\n\n  Les Rencontres du Mont-Blanc ont eu lieu  \nSuite."
    assert guess_title(Path("000_6635172e3140c73e.txt"), text) == \
        "Les Rencontres du Mont-Blanc ont eu lieu"


def test_guess_title_hash_name_truncates_long_first_line():
    first = ("Les Rencontres du Mont-Blanc ont eu lieu du 29 au 30 janvier 2026 à "
             "l'Organisation Internationale du Travail à Genève")
    title = guess_title(Path("000_6635172e3140c73e.txt"), first + "\nSuite.")
    # 79 characters end inside « l'Organisation »: the cut falls back to the word before.
    assert title == "Les Rencontres du Mont-Blanc ont eu lieu du 29 au 30 janvier 2026 à…"
    assert len(title) <= 80 and first.startswith(title[:-1] + " ")
    exact = "x" * 80
    assert guess_title(Path("0123456789abcdef.txt"), exact) == exact  # 80 is not beyond 80


def test_read_corpus_hash_named_file_title(tmp_path):
    (tmp_path / "000_6635172e3140c73e.txt").write_bytes(
        (CORPUS / SUMMARY).read_bytes())
    (doc,), _ = read_corpus(tmp_path)
    assert doc.title.endswith("…") and len(doc.title) <= 80
    assert doc.title.startswith("Les Rencontres du Mont-Blanc ont eu lieu du 29 au 30 janvier")


# --- unreadable files and folders ------------------------------------------------------

@pytest.fixture(params=["chmod", "simulated"])
def deny(request, monkeypatch):
    """A function making a file or folder unreadable: by chmod 000 (skipped as root, whom
    chmod does not stop), or by making reading it raise PermissionError as chmod would."""
    denied: list[Path] = []

    def make_unreadable(path: Path) -> None:
        if request.param == "chmod":
            os.chmod(path, 0)
            denied.append(path)
            if os.access(path, os.R_OK):
                pytest.skip("run as root: chmod 000 does not stop root from reading")
            return
        error = PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        if path.is_dir():
            scandir = os.scandir

            def refusing_scandir(folder=".", _scandir=scandir):
                if Path(folder) == path:
                    raise error
                return _scandir(folder)

            monkeypatch.setattr(os, "scandir", refusing_scandir)
        else:
            read_bytes = Path.read_bytes

            def refusing_read_bytes(self, _read_bytes=read_bytes):
                if self == path:
                    raise error
                return _read_bytes(self)

            monkeypatch.setattr(Path, "read_bytes", refusing_read_bytes)

    yield make_unreadable
    for path in denied:  # so that pytest can remove them
        os.chmod(path, 0o755)


def english(text: str) -> bool:
    return any(word in text for word in ("Permission", "denied", "Errno", "Error"))


def test_an_unreadable_file_is_skipped_saying_what_to_do(tmp_path, deny):
    (tmp_path / "bon.md").write_text("# Bon\n\nUn texte.\n", encoding="utf-8")
    (tmp_path / "secret.md").write_text("# Secret\n\nUn texte.\n", encoding="utf-8")
    deny(tmp_path / "secret.md")
    documents, skipped = read_corpus(tmp_path)
    assert [d.source for d in documents] == ["bon.md"]
    assert [(s.source, s.reason) for s in skipped] == [
        ("secret.md", "illisible (accès refusé) : donnez-vous le droit de le lire (chmod u+r), "
                      "ou retirez-le du dossier")]
    assert "PermissionError" in skipped[0].detail  # for the log only


def test_an_unreadable_folder_is_listed_not_silently_skipped(tmp_path, deny):
    (tmp_path / "bon.md").write_text("# Bon\n\nUn texte.\n", encoding="utf-8")
    (tmp_path / "privé").mkdir()
    (tmp_path / "privé" / "note.md").write_text("# Note\n\nUn texte.\n", encoding="utf-8")
    deny(tmp_path / "privé")
    documents, skipped = read_corpus(tmp_path)
    assert [d.source for d in documents] == ["bon.md"]
    assert [(s.source, s.reason) for s in skipped] == [
        ("privé/", "dossier illisible (accès refusé) : donnez-vous le droit de le lire "
                   "(chmod u+rx), ou retirez-le du corpus")]


def test_an_unreadable_corpus_folder_is_a_french_error(tmp_path, deny):
    from index.errors import CorpusError

    (tmp_path / "bon.md").write_text("# Bon\n\nUn texte.\n", encoding="utf-8")
    deny(tmp_path)
    with pytest.raises(CorpusError) as caught:
        read_corpus(tmp_path)
    assert str(caught.value) == (f"le dossier du corpus {tmp_path} est illisible (accès "
                                 "refusé) : donnez-vous le droit de le lire (chmod u+rx), ou "
                                 "indiquez un autre dossier")


def test_an_unreadable_readme_is_listed_and_the_titles_guessed(tmp_path, deny):
    (tmp_path / "bon.md").write_text("Un texte.\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("| Fichier | Titre |\n|---|---|\n| bon.md | Le bon |\n",
                                        encoding="utf-8")
    assert read_corpus(tmp_path)[0][0].title == "Le bon"
    deny(tmp_path / "README.md")
    documents, skipped = read_corpus(tmp_path)
    assert documents[0].title == "Bon"
    assert [(s.source, s.reason) for s in skipped] == [
        ("README.md", "illisible (accès refusé) : les titres de son tableau ne sont pas repris "
                      "; donnez-vous le droit de le lire (chmod u+r), ou retirez-le du dossier")]


def test_unreadable_corpus_readme_and_themes_through_ess_ingest(tmp_path, deny, capsys,
                                                                fake_model):
    from ess.cli import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bon.md").write_text("# Bon\n\nCréer des fonds de garantie.\n", encoding="utf-8")
    (corpus / "README.md").write_text("# Corpus\n", encoding="utf-8")
    shutil.copy(CORPUS / "themes.toml", corpus / "themes.toml")
    index = ["--index", str(tmp_path / "index"), "--quiet"]
    deny(corpus / "README.md")
    assert main(["ingest", str(corpus), *index]) == 0
    err = capsys.readouterr().err
    assert err.startswith("Ignoré : README.md (illisible (accès refusé) : ")
    deny(corpus / "themes.toml")
    assert main(["ingest", str(corpus), *index]) == 1
    err = capsys.readouterr().err
    assert err.endswith(f"Erreur : le catalogue des thèmes {corpus / 'themes.toml'} est "
                        "illisible (accès refusé) : donnez-vous le droit de le lire (chmod "
                        "u+r), ou retirez-le du dossier du corpus\n")
    assert "Traceback" not in err and not english(err)


@pytest.mark.parametrize(("code", "reason"), [
    (errno.EACCES, "accès refusé"), (errno.ELOOP, "lien symbolique en boucle"),
    (errno.ENOENT, "introuvable"), (errno.EIO, "erreur de lecture ou d'écriture du disque"),
    (errno.EPROTO, f"erreur système n° {errno.EPROTO}")])
def test_os_errors_are_told_in_french(code, reason):
    from ingest.read import os_reason

    assert os_reason(OSError(code, os.strerror(code))) == reason
