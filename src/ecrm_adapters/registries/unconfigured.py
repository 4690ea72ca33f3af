"""The register port when no EGRUL service is configured: every lookup says so."""

from __future__ import annotations

from ecrm_core.counterparties.ports import RegistryUnavailable


class UnconfiguredRegistry:
    def find_by_inn(self, inn: str):
        raise RegistryUnavailable(
            "the EGRUL lookup is not configured (set ECRM_REGISTRY_TOKEN; docs/configuration.md)"
        )
