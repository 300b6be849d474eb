"""Debian packages a test needs and the machine lacks (PostgreSQL, Redis, Chromium), via apt-get."""

from __future__ import annotations

import os
import shutil
import subprocess


class InstallFailed(RuntimeError):
    """The packages could not be installed; the message says why."""


def apt_install(packages: list[str]) -> None:
    """`apt-get install` as root or through passwordless sudo, updating the package lists once
    if the first attempt fails (a clean machine may have none yet)."""
    if shutil.which("apt-get") is None:
        raise InstallFailed(f"{', '.join(packages)} missing and apt-get unavailable: install them")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

    def apt(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*sudo, "apt-get", *args], env=env, capture_output=True, text=True, timeout=900)

    done = apt("install", "-y", "--no-install-recommends", *packages)
    if done.returncode != 0:
        apt("update")
        done = apt("install", "-y", "--no-install-recommends", *packages)
    if done.returncode != 0:
        raise InstallFailed(f"apt-get install {' '.join(packages)} failed:\n{done.stderr[-2000:]}")
