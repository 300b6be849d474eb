"""The endpoints each method serves, as a document names them ("GET /projects/{projectId}").

Read from the generated route tables, so a scoped key's endpoints are the
contracts' own routes: path variables are written in their JSON spelling.
"""

from __future__ import annotations

import importlib
import re

INDEX_MODULE = "chorus_contracts.bridge_index"
_VARIABLE = re.compile(r"\{([a-z0-9_.]+)(=[^}]*)?\}")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def endpoint_name(verb: str, template: str) -> str:
    return f"{verb} " + _VARIABLE.sub(lambda m: "{" + _camel(m.group(1)) + "}", template)


def surface_endpoints(surface: str, index_module: str = INDEX_MODULE) -> dict[str, tuple[str, ...]]:
    """gRPC method path -> its endpoints, for every method of `surface` with HTTP routes."""
    found: dict[str, tuple[str, ...]] = {}
    for module in importlib.import_module(index_module).ROUTE_MODULES:
        for spec in importlib.import_module(module).METHODS:
            if spec.surface == surface:
                found[spec.grpc_path] = tuple(endpoint_name(b.verb, b.template) for b in spec.bindings)
    return found
