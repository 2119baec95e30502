"""Put a finished build in place of the site without a moment with no site, and never lose the last good one.

A build is written into a temporary folder beside the folder it replaces (same file system, so the
swap is a rename), then swapped in:

- On Linux, ``renameat2(RENAME_EXCHANGE)`` exchanges the two folders in one step: a web server reading
  the site sees the old files or the new ones, never a missing folder. Elsewhere (or on a file system
  without exchange) the old folder is renamed aside and the new one renamed in: two renames, a moment
  apart.
- A ``site`` that is a symlink (often to the web server's root) stays a symlink: the folder it points
  to is what gets replaced, so the web root itself gets the new build. Replacing the link by a folder
  would leave the web root on the old build forever.
- Temporary folders are named ``.<site>.build-<pid>-<random>``: a build that was killed leaves one
  behind, and the next build removes those whose process is gone (never one a running build owns).
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_LEFTOVER = re.compile(r"^\.(?P<site>.+)\.(?:build|old)-(?P<pid>\d+)-[^/]*$")


def target(site: Path) -> Path:
    """The folder a build replaces: the site itself, or the folder a symlinked site points to."""
    return site.resolve() if site.is_symlink() else site.absolute()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def leftovers(folder: Path) -> list[Path]:
    """Temporary folders of ``folder``'s builds whose process is gone (a killed build or a crash)."""
    parent = folder.parent
    if not parent.is_dir():
        return []
    found = []
    for path in parent.iterdir():
        m = _LEFTOVER.match(path.name)
        if m and m.group("site") == folder.name and path.is_dir() and not path.is_symlink() and not _alive(int(m.group("pid"))):
            found.append(path)
    return sorted(found)


def prepare(site: Path) -> Path:
    """A new empty folder to build into, beside the folder the site lives in; leftovers of dead builds are removed first."""
    folder = target(site)
    folder.parent.mkdir(parents=True, exist_ok=True)
    for old in leftovers(folder):
        shutil.rmtree(old, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.build-{os.getpid()}-", dir=folder.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; a web server must read the site
    return tmp


def discard(built: Path) -> None:
    """A failed build's folder goes; the site was never touched."""
    shutil.rmtree(built, ignore_errors=True)


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False where the system or file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # a C library without renameat2 (glibc < 2.28, musl < 1.2.?)
        return False
    renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def publish(built: Path, site: Path) -> None:
    """Put ``built`` where the site is (or where its symlink points); the old site is removed only afterwards."""
    folder = target(site)
    if not folder.exists() and not folder.is_symlink():
        os.rename(built, folder)
        return
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a folder; remove it or build elsewhere (--site-dir)")
    if exchange(built, folder):
        shutil.rmtree(built, ignore_errors=True)  # ``built`` now holds the old site
        return
    aside = folder.with_name(f".{folder.name}.old-{os.getpid()}-{built.name.rsplit('-', 1)[-1]}")
    os.rename(folder, aside)
    try:
        os.rename(built, folder)
    except OSError:
        os.rename(aside, folder)  # put the last good site back
        raise
    shutil.rmtree(aside, ignore_errors=True)
