"""The only module that writes files: atomic swap of a staged tree, or a diff for --check.

Files are streamed into the staging directory one at a time as the build renders them, so a
build of a thousand services never holds its whole tree in memory; the swap happens only once
the staging tree is complete.

How `-o DIR` is kept safe:

- **Only obsgen's files are replaced.** The marker file `.obsgen` is a manifest of the files
  obsgen wrote. Before DIR is replaced, everything in it must be the marker, a manifest entry or
  a file the new build writes; anything else (a `.git`, notes, the spec itself) makes `build`
  refuse, naming it. `force=True` (`--force`) replaces it anyway. A non-empty directory without
  a marker is never replaced, forced or not, so `-o ~` cannot erase a home folder.
- **A symlink is followed, never replaced**: the directory it points to is swapped.
- **A kill at any moment leaves the old tree or the new one at DIR.** The new tree is written to
  a staging sibling, then swapped in with one `renameat2(RENAME_EXCHANGE)`, which exchanges
  the two directories atomically: there is no instant without a tree at DIR. Where the kernel or
  filesystem lacks it, two renames are used, and a kill between them leaves the old tree under
  a recovery name that the next run moves back before anything else.
- **Leftovers are cleaned by the next run.** Staging and old trees live under names derived from
  DIR's name; each is flock-ed while a build uses it, so the next run removes exactly those
  whose lock is free, never the staging of a concurrent build.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import filecmp
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from obsgen.errors import ObsgenError

MARKER = ".obsgen"
_NEW, _OLD = "new-", "old-"
_SHOWN_FOREIGN = 3


def _exchange_with_renameat2() -> Callable[..., int] | None:
    """libc's renameat2, or None where it does not exist (non-Linux, old glibc)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    return function


_RENAMEAT2 = _exchange_with_renameat2()
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories; False when the system cannot (then nothing moved)."""
    if _RENAMEAT2 is None:
        return False
    result = _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _prefix(out: Path) -> str:
    """Name prefix of DIR's staging and old trees: bounded length whatever DIR's name is."""
    digest = hashlib.sha256(os.fsencode(out.name)).hexdigest()[:10]
    return f".{out.name[:40]}.obsgen-{digest}."


@contextmanager
def _locked(path: Path) -> Iterator[bool]:
    """Hold an exclusive flock on a directory; yields False when another process holds it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _leftovers(out: Path, kind: str) -> list[Path]:
    prefix = _prefix(out) + kind
    return sorted(p for p in out.parent.iterdir() if p.name.startswith(prefix))


def _recover(out: Path) -> None:
    """Undo what an interrupted build left: restore an old tree when DIR is missing (killed
    between the two renames), then remove unlocked staging and old trees."""
    if not os.path.lexists(out):
        for old in sorted(_leftovers(out, _OLD), key=lambda p: p.stat().st_mtime, reverse=True):
            with _locked(old) as free:
                if free:
                    os.rename(old, out)
                    break
    for leftover in _leftovers(out, _NEW) + _leftovers(out, _OLD):
        with _locked(leftover) as free:
            if free:
                shutil.rmtree(leftover, ignore_errors=True)


def _resolve(out_dir: Path) -> Path:
    """The real directory behind ``out_dir``: a symlink is followed, never replaced."""
    out = Path(os.path.abspath(out_dir))
    if out.is_symlink():
        target = Path(os.path.realpath(out))
        if not target.is_dir():
            raise ObsgenError(f"{out_dir}: is a symlink to {target}, which is not a directory")
        return target
    return Path(os.path.realpath(out.parent)) / out.name


def manifest(out: Path) -> set[str] | None:
    """The files the marker says obsgen wrote; None without a marker ({} for an old marker
    that holds no list)."""
    try:
        text = (out / MARKER).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return set()
    try:
        data = json.loads(text)
    except ValueError:
        return set()
    files = data.get("files") if isinstance(data, dict) else None
    return {f for f in files if isinstance(f, str)} if isinstance(files, list) else set()


def foreign_entries(out: Path, allowed: set[str]) -> list[str]:
    """Entries in ``out`` that are neither the marker, nor ``allowed`` files, nor folders
    holding them: what replacing ``out`` would destroy."""
    folders = {str(Path(p).parent) for p in allowed}
    folders |= {str(parent) for p in folders for parent in Path(p).parents}
    found: list[str] = []
    for root, dirs, files in os.walk(out):
        relative = Path(root).relative_to(out)
        for name in sorted(dirs):
            path = (relative / name).as_posix()
            if path not in folders or (Path(root) / name).is_symlink():
                found.append(path + "/")
        dirs[:] = [
            d
            for d in dirs
            if (relative / d).as_posix() in folders and not (Path(root) / d).is_symlink()
        ]
        for name in sorted(files):
            path = (relative / name).as_posix()
            if path not in allowed and path != MARKER:
                found.append(path)
    return sorted(found)


def _check_replaceable(out: Path, shown: Path, paths: set[str] | None, force: bool) -> None:
    """Refuse to replace what obsgen did not write. ``paths`` (the new build's files) is None
    for the first pass, before any file is rendered: only what needs no file list is checked."""
    if not os.path.lexists(out):
        return
    if not out.is_dir():
        raise ObsgenError(f"{shown}: output path exists and is not a directory")
    written = manifest(out)
    if written is None:
        if any(out.iterdir()):
            raise ObsgenError(
                f"{shown}: directory is not empty and was not written by obsgen; "
                "refusing to replace it (choose another -o DIR)"
            )
        return
    if force or paths is None:
        return
    foreign = foreign_entries(out, written | paths)
    if foreign:
        more = len(foreign) - _SHOWN_FOREIGN
        named = ", ".join(foreign[:_SHOWN_FOREIGN]) + (f" and {more} more" if more > 0 else "")
        raise ObsgenError(
            f"{shown}/{foreign[0]}: not written by obsgen ({named}); refusing to "
            f"replace {shown} (move it away, or pass --force to delete it)"
        )


def _fill(staging: Path, files: Iterable[tuple[str, bytes, bool]]) -> set[str]:
    """Write each file into ``staging`` as it comes (appended parts continue their file), then
    the manifest; returns the paths written."""
    written: set[str] = set()
    continued: dict[str, BinaryIO] = {}  # files parts are appended to, kept open (few, large)
    try:
        for relative, content, appended in files:
            target = staging / relative
            if relative not in written:
                target.parent.mkdir(parents=True, exist_ok=True)
                written.add(relative)
            if appended:
                if relative not in continued:
                    continued[relative] = target.open("ab")
                continued[relative].write(content)
                continue
            with target.open("wb") as handle:
                handle.write(content)
    finally:
        for stream in continued.values():
            stream.close()
    record = {
        "generator": "obsgen",
        "note": "This directory is generated by `obsgen build`; "
        "files not listed here make it refuse to replace the directory.",
        "files": sorted(written),
    }
    (staging / MARKER).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    staging.chmod(0o755)
    return written


def _swap(staging: Path, out: Path) -> None:
    """Put ``staging`` at ``out``; whatever was at ``out`` ends up at ``staging``'s name or
    under an old-tree name, both removed afterwards."""
    if not os.path.lexists(out):
        os.rename(staging, out)
        return
    if _exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)
        return
    old = Path(tempfile.mkdtemp(prefix=_prefix(out) + _OLD, dir=out.parent))
    with _locked(out) as free:  # held on the old tree, so no concurrent _recover moves it
        if not free:
            raise ObsgenError(f"{out}: another obsgen build is replacing it")
        os.rename(out, old)  # over the empty mkdtemp placeholder
        os.rename(staging, out)
    shutil.rmtree(old, ignore_errors=True)


def write_tree(tree: dict[str, bytes], out_dir: Path, force: bool = False) -> None:
    """Replace ``out_dir`` with exactly ``tree`` (relative path → bytes), atomically."""
    write_files(((path, content, False) for path, content in tree.items()), out_dir, force)


def write_files(
    files: Iterable[tuple[str, bytes, bool]], out_dir: Path, force: bool = False
) -> list[str]:
    """Replace ``out_dir`` with exactly ``files``, atomically, holding one file at a time.

    ``files`` yields (path, bytes, appended) as the build renders them; each goes straight to
    the staging directory. Whether DIR may be replaced is checked twice: what needs no file
    list before anything is rendered, foreign files once the staging tree is complete and
    before the swap, so a refused build still leaves DIR untouched. Returns the paths written.
    """
    try:
        out = _resolve(out_dir)
        out.parent.mkdir(parents=True, exist_ok=True)
        _recover(out)
        _check_replaceable(out, out_dir, None, force)
        staging = Path(tempfile.mkdtemp(prefix=_prefix(out) + _NEW, dir=out.parent))
        try:
            with _locked(staging):
                written = _fill(staging, files)
                _check_replaceable(out, out_dir, written, force)
                _swap(staging, out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:
        raise ObsgenError(f"{out_dir}: cannot write output: {exc.strerror or exc}") from None
    return sorted(written)


def read_tree(out_dir: Path) -> dict[str, bytes]:
    """What obsgen wrote into ``out_dir`` before (empty when it does not exist)."""
    if not out_dir.is_dir():
        return {}
    return {
        path.relative_to(out_dir).as_posix(): path.read_bytes()
        for path in sorted(out_dir.rglob("*"))
        if path.is_file() and path.name != MARKER
    }


def diff_tree(tree: dict[str, bytes], out_dir: Path) -> list[str]:
    """Lines describing how ``out_dir`` differs from ``tree`` (empty when up to date)."""
    existing = read_tree(out_dir)
    lines = []
    for path in sorted(set(tree) | set(existing)):
        if path not in existing:
            lines.append(f"missing  {path}")
        elif path not in tree:
            lines.append(f"extra    {path}")
        elif existing[path] != tree[path]:
            lines.append(f"changed  {path}")
    return lines


def diff_files(files: Iterable[tuple[str, bytes, bool]], out_dir: Path) -> list[str]:
    """``diff_tree`` for a streamed build: the files go to a scratch directory one at a time
    and are compared with ``out_dir`` file by file, so --check holds no more than build does."""
    with tempfile.TemporaryDirectory(prefix=".obsgen-check-") as scratch:
        staged = Path(scratch)
        written = _fill(staged, files)
        existing = (
            {
                path.relative_to(out_dir).as_posix()
                for path in out_dir.rglob("*")
                if path.is_file() and path.name != MARKER
            }
            if out_dir.is_dir()
            else set()
        )
        lines = []
        for path in sorted(written | existing):
            if path not in existing:
                lines.append(f"missing  {path}")
            elif path not in written:
                lines.append(f"extra    {path}")
            elif not filecmp.cmp(staged / path, out_dir / path, shallow=False):
                lines.append(f"changed  {path}")
        return lines
