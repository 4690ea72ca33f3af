"""Roles, scoped role assignments and the one policy every use case asks (ORG-6)."""

from ecrm_core.access.model import Action, Role, RoleAssignment
from ecrm_core.access.policy import Policy, ScopeNode, is_allowed

__all__ = ["Action", "Policy", "Role", "RoleAssignment", "ScopeNode", "is_allowed"]
