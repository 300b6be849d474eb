"""Dependencies declared in real manifests, parsed by their formats' own parsers.

package.json with `json`; pyproject.toml and Cargo.toml with `tomllib`;
requirements files and PEP 508 strings with `packaging` (the library pip
uses); go.mod by its grammar (a `require` line or block of `module version`).
A manifest that does not parse raises `ManifestError` with why.
"""

from __future__ import annotations

import json
import posixpath
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement


@dataclass(frozen=True, slots=True)
class Dependency:
    name: str
    version: str  # the requirement as written; "" when none
    ecosystem: str  # npm, pypi, go, cargo
    manifest: str
    kind: str  # runtime, dev, build, optional, peer


class ManifestError(ValueError):
    pass


_NPM_KINDS = {
    "dependencies": "runtime",
    "devDependencies": "dev",
    "peerDependencies": "peer",
    "optionalDependencies": "optional",
}
_CARGO_KINDS = {"dependencies": "runtime", "dev-dependencies": "dev", "build-dependencies": "build"}
# requirements.txt, requirements-dev.txt, dev-requirements.in, requirements/base.txt ...
_REQUIREMENTS = re.compile(r"(.*/)?((.*[-_.])?requirements([-_.][^/]*)?|requirements/[^/]+)\.(txt|in)")


def is_manifest(path: str) -> bool:
    name = posixpath.basename(path)
    return name in ("package.json", "pyproject.toml", "go.mod", "Cargo.toml") or bool(_REQUIREMENTS.fullmatch(path))


def parse_manifest(path: str, content: str) -> list[Dependency]:
    """The dependencies `path` declares ([] for a file that is not a manifest)."""
    name = posixpath.basename(path)
    if name == "package.json":
        return list(_package_json(path, content))
    if name == "pyproject.toml":
        return list(_pyproject(path, content))
    if name == "Cargo.toml":
        return list(_cargo(path, content))
    if name == "go.mod":
        return list(_go_mod(path, content))
    if _REQUIREMENTS.fullmatch(path):
        kind = "dev" if re.search(r"dev|test|lint", name) else "runtime"
        return list(_requirements(path, content, kind))
    return []


def _package_json(path: str, content: str) -> Iterator[Dependency]:
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ManifestError("not a JSON object")
    for section, kind in _NPM_KINDS.items():
        entries = data.get(section) or {}
        if not isinstance(entries, dict):
            raise ManifestError(f"{section} is not an object")
        for dep, version in entries.items():
            yield Dependency(dep, str(version), "npm", path, kind)


def _toml(content: str) -> dict[str, Any]:
    try:
        return tomllib.loads(content)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"not TOML: {exc}") from None


def _pep508(path: str, requirement: str, kind: str) -> Dependency:
    try:
        parsed = Requirement(requirement)
    except InvalidRequirement as exc:
        raise ManifestError(f"invalid requirement {requirement!r}: {exc}") from None
    return Dependency(parsed.name, str(parsed.specifier), "pypi", path, kind)


def _pyproject(path: str, content: str) -> Iterator[Dependency]:
    data = _toml(content)
    project = data.get("project") or {}
    for requirement in project.get("dependencies") or []:
        yield _pep508(path, requirement, "runtime")
    for requirements in (project.get("optional-dependencies") or {}).values():
        for requirement in requirements:
            yield _pep508(path, requirement, "optional")
    for requirements in (data.get("dependency-groups") or {}).values():
        for requirement in requirements:
            if isinstance(requirement, str):  # {include-group = ...} entries name no package
                yield _pep508(path, requirement, "dev")
    for requirement in (data.get("build-system") or {}).get("requires") or []:
        yield _pep508(path, requirement, "build")
    poetry = (data.get("tool") or {}).get("poetry") or {}
    for dep, spec in (poetry.get("dependencies") or {}).items():
        if dep != "python":
            yield Dependency(dep, _table_version(spec), "pypi", path, "runtime")
    for group in (poetry.get("group") or {}).values():
        for dep, spec in (group.get("dependencies") or {}).items():
            yield Dependency(dep, _table_version(spec), "pypi", path, "dev")


def _table_version(spec: Any) -> str:
    if isinstance(spec, dict):
        return str(spec.get("version", ""))
    return str(spec)


def _cargo(path: str, content: str) -> Iterator[Dependency]:
    data = _toml(content)
    for section, kind in _CARGO_KINDS.items():
        for dep, spec in (data.get(section) or {}).items():
            yield Dependency(dep, _table_version(spec), "cargo", path, kind)


def _requirements(path: str, content: str, kind: str) -> Iterator[Dependency]:
    for raw in content.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):  # comments and pip options (-r, -e, --hash ...)
            continue
        yield _pep508(path, line.rstrip("\\").strip(), kind)


def _go_mod(path: str, content: str) -> Iterator[Dependency]:
    block = False
    for number, raw in enumerate(content.splitlines(), 1):
        line = raw.split("//", 1)[0].strip()
        if block:
            if line == ")":
                block = False
            elif line:
                yield _go_requirement(path, line, number)
        elif line == "require (":
            block = True
        elif line.startswith("require "):
            yield _go_requirement(path, line.removeprefix("require ").strip(), number)


def _go_requirement(path: str, line: str, number: int) -> Dependency:
    parts = line.split()
    if len(parts) != 2:
        raise ManifestError(f"line {number}: a requirement is 'module version', not {line!r}")
    return Dependency(parts[0], parts[1], "go", path, "runtime")
