"""Errors a user can act on: each message says what to do next.

The CLI prints them as `Error: <message>` and exits with status 1; the page shows
them with `st.error`. Anything else is a bug: the CLI keeps its traceback, while the
page logs it and shows UNEXPECTED, never a traceback or a server path.
"""

import errno

UNEXPECTED = ("Une erreur inattendue s'est produite ; elle est consignée dans le journal du "
              "serveur. Réessayez, et si elle se reproduit, signalez-la en donnant l'heure.")


class EssError(Exception):
    """A problem caused by the user's input or set-up, not by the code."""


class IndexMissing(EssError):
    """No index has been built at the given place."""


class IndexUnreadable(EssError):
    """The index folder exists but cannot be used as it is."""


class IndexUnwritable(EssError):
    """The index cannot be written where it was asked to go."""


class ModelMismatch(EssError):
    """The index was built with another embedding model."""


class ModelUnavailable(EssError):
    """The named embedding model cannot be loaded here."""


class CorpusError(EssError):
    """The corpus folder is missing, empty, or holds nothing readable."""


class QuestionsError(EssError):
    """A question file cannot be read."""


class SettingError(EssError):
    """An environment variable of the project holds a value it cannot use."""


_OS_REASONS = {
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.ENOENT: "introuvable",
    errno.EISDIR: "c'est un dossier, pas un fichier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.ELOOP: "trop de liens symboliques en boucle",
    errno.ENAMETOOLONG: "nom trop long",
    errno.ENOSPC: "disque plein",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.EIO: "erreur de lecture du disque",
    errno.EADDRNOTAVAIL: "adresse absente de cette machine",
    errno.EADDRINUSE: "adresse déjà utilisée",
}


def os_reason(exc: OSError) -> str:
    """What went wrong with a file, folder or socket, in French: the system's own words
    (`strerror`: « Permission denied ») are English, and a user reads this.

    >>> os_reason(PermissionError(errno.EACCES, "Permission denied"))
    'permission refusée'
    >>> os_reason(OSError(errno.EXDEV, "Invalid cross-device link"))
    'erreur système 18'
    """
    return _OS_REASONS.get(exc.errno, f"erreur système {exc.errno}" if exc.errno else
                           "erreur système")
