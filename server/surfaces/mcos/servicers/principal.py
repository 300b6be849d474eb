"""The current call's owner scope for MCoS servicers: (MCoS tenant, JWT `sub`)."""

from __future__ import annotations

from server.platform.admission.call import current_call
from server.platform.scope import Scope


def principal_scope() -> Scope:
    caller = current_call().caller
    assert caller is not None and caller.user_id, "the Cloudflare Access policy must run first"
    return Scope(caller.tenant.id, caller.user_id)
