"""What every MCoS service builds on, built once by the surface (surface.py)."""

from __future__ import annotations

from dataclasses import dataclass

from server.platform.admission.policies import Policy
from server.platform.admission.quotas import Quotas
from server.platform.surface import Platform
from server.surfaces.mcos.settings import McosSettings


@dataclass(frozen=True)
class McosCore:
    """What every MCoS service builds on."""

    platform: Platform
    settings: McosSettings
    tenant_id: str
    quotas: Quotas
    # Admission policies of every MCoS service: identity, then quotas.
    policies: tuple[Policy, ...]
