"""The data dir is the server's user's alone: the directory 0700, every file in it 0600.

The database holds room secrets and password hashes, the key file the signing key; logs and WAL files
hold pieces of them. Files are made private from their first byte (:func:`write_private`, the server
process's umask) and any found readable by others at start — an older install, a restore, a log the
launcher created — are made private then (:func:`secure_data_dir`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
from pathlib import Path

logger = logging.getLogger(__name__)

#: The server process creates files for its user only (set in ``meetdesk server``'s process).
PRIVATE_UMASK = 0o077


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically with ``data``, readable by this user only from the first byte."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist (e.g. the SQLite file before SQLite opens it:
    its WAL and shared-memory files then take the same mode)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def secure_data_dir(data_dir: Path) -> None:
    """Make the data dir 0700 and everything in it private (directories 0700, files 0600)."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    changed = 0
    for root, dirs, files in os.walk(data_dir):
        for name, private_mode in [(root, 0o700), *((os.path.join(root, f), 0o600) for f in files)]:
            try:
                info = os.lstat(name)
                if stat.S_ISLNK(info.st_mode) or not stat.S_IMODE(info.st_mode) & 0o077:
                    continue
                os.chmod(name, stat.S_IMODE(info.st_mode) & private_mode)
                changed += 1
            except FileNotFoundError:
                continue  # removed meanwhile (a WAL file at checkpoint)
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
    if changed:
        logger.info("Made %d file(s) in %s readable by this user only", changed, data_dir)
