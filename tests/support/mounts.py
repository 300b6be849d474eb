"""Running a command in a private mount namespace, with its data directory mounted as a test needs.

Root ignores file permissions, so a directory that must refuse writes (or run
out of space) is a real mount: a read-only bind mount or a small tmpfs, set up
in a namespace of the command's own, so nothing outside it sees the mount and
nothing needs unmounting. Non-root users get the namespace through a user
namespace (`unshare --map-root-user`), where the kernel allows it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest


def _unshare() -> list[str]:
    return ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "--mount", "--map-root-user"]


def mounted(setup: str) -> list[str]:
    """A launcher that runs `setup` (shell) in a new mount namespace, then the command given after it."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) for a private mount namespace")
    probe = subprocess.run([*_unshare(), "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount in a private namespace here: {probe.stderr.decode().strip()}")
    return [*_unshare(), "sh", "-c", f'{setup} && exec "$@"', "sh"]


def read_only(directory: Path) -> list[str]:
    """A launcher under which `directory` (as it is) is on a read-only file system."""
    path = shlex.quote(str(directory))
    return mounted(f"mount --bind {path} {path} && mount -o remount,ro,bind {path}")


def small_disk(directory: Path, size: str, seed: Path | None = None) -> list[str]:
    """A launcher under which `directory` is a tmpfs of `size` (e.g. "1m"): empty, or
    holding a copy of the file `seed` (say, a database already migrated, so that
    the disk's size is the room left for what the test writes)."""
    target = shlex.quote(str(directory))
    setup = f"mount -t tmpfs -o size={shlex.quote(size)} tmpfs {target}"
    if seed is not None:
        setup += f" && cp {shlex.quote(str(seed))} {target}/"
    return mounted(setup)
