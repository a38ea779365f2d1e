"""Where the daemon's socket lives when nobody says: one place for the daemon and the CLI.

Both sides must agree on the default without talking to each other, so it is computed
from the environment alone: ``$TIFFANY_SOCKET``, else the per-user runtime directory
(``$XDG_RUNTIME_DIR``, private to the user by the XDG spec), else a per-user directory
under /tmp that the daemon creates with mode 0700.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

SOCKET_ENV = "TIFFANY_SOCKET"
SOCKET_NAME = "tiffany.sock"

#: What ``--help`` says about the default, kept next to the code that computes it.
SOCKET_HELP = (
    "the daemon's Unix socket (default: $TIFFANY_SOCKET, else "
    "$XDG_RUNTIME_DIR/tiffany/tiffany.sock, else /tmp/tiffany-$UID/tiffany.sock)"
)


def default_socket_path(environ: Mapping[str, str] | None = None) -> Path:
    """The socket path to use when ``--socket`` is not given."""
    env = os.environ if environ is None else environ
    explicit = env.get(SOCKET_ENV)
    if explicit:
        return Path(explicit)
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "tiffany" / SOCKET_NAME
    return Path(f"/tmp/tiffany-{os.getuid()}") / SOCKET_NAME


def resolve_socket_path(given: str | os.PathLike[str] | None) -> Path:
    """``given`` if set, else the default."""
    return Path(given) if given else default_socket_path()


def prepare_socket_dir(socket_path: Path) -> None:
    """Create the socket's directory (mode 0700) if missing; refuse one owned by another user.

    The socket itself is created mode 0600, but a directory someone else owns could let
    them swap the socket for their own, so the daemon will not serve from one.
    """
    directory = socket_path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = directory.stat()
    if info.st_uid != os.getuid() and not info.st_mode & stat.S_ISVTX:
        raise PermissionError(
            f"{directory} belongs to uid {info.st_uid}, not to you (uid {os.getuid()}): "
            "pick another --socket path"
        )
