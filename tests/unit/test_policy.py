"""The one policy (ORG-6): a matrix of roles x actions on organisation objects."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecrm_core.access.model import Action, Role, RoleAssignment
from ecrm_core.access.policy import Policy, ScopeNode, is_allowed
from ecrm_core.kernel import refs
from ecrm_core.kernel.errors import Forbidden
from ecrm_core.kernel.refs import ObjectRef

COMPANY = ScopeNode(ObjectRef(refs.COMPANY, 1))
DEP_A = ScopeNode(ObjectRef(refs.DEPARTMENT, 10), head_id=77)
DEP_A1 = ScopeNode(ObjectRef(refs.DEPARTMENT, 11))  # nested in A
DEP_B = ScopeNode(ObjectRef(refs.DEPARTMENT, 20))
PROJ_P = ScopeNode(ObjectRef(refs.PROJECT, 5))
PROJ_Q = ScopeNode(ObjectRef(refs.PROJECT, 6))

EMP_IN_A = [ScopeNode(ObjectRef(refs.EMPLOYEE, 100)), DEP_A, COMPANY]
EMP_IN_A1 = [ScopeNode(ObjectRef(refs.EMPLOYEE, 101)), DEP_A1, DEP_A, COMPANY]
EMP_IN_B = [ScopeNode(ObjectRef(refs.EMPLOYEE, 200)), DEP_B, COMPANY]
CHAINS = {
    "company": [COMPANY],
    "dep_a": [DEP_A, COMPANY],
    "dep_a1": [DEP_A1, DEP_A, COMPANY],
    "dep_b": [DEP_B, COMPANY],
    "emp_a": EMP_IN_A,
    "emp_a1": EMP_IN_A1,
    "emp_b": EMP_IN_B,
    "proj_p": [PROJ_P, COMPANY],
    "proj_q": [PROJ_Q, COMPANY],
}

ACTOR = 1


def grant(role: Role, node: ScopeNode, project_id=None) -> RoleAssignment:
    return RoleAssignment(role=role, employee_id=ACTOR, scope_kind=node.ref.kind,
                          scope_id=node.ref.id, project_id=project_id)


HOLDERS = {
    "director": [grant(Role.DIRECTOR, COMPANY)],
    "admin_a": [grant(Role.ADMINISTRATOR, DEP_A)],
    "management_p": [grant(Role.MANAGEMENT, PROJ_P)],
    "sales_management": [grant(Role.SALES_MANAGEMENT, COMPANY)],
    "nobody": [],
}

# (holder, action, kind, where) -> allowed?
MATRIX = [
    # the Director may do everything everywhere
    *[("director", a, k, w, True) for a in Action for k, w in [
        (refs.EMPLOYEE, "emp_b"), (refs.DEPARTMENT, "dep_b"), (refs.PROJECT, "proj_q"),
        (refs.SERVICE_TYPE, "company"), (refs.COMPANY, "company")]],
    # Administrator of department A: A and its sub-departments, not B, not projects
    ("admin_a", Action.EDIT, refs.EMPLOYEE, "emp_a", True),
    ("admin_a", Action.EDIT, refs.EMPLOYEE, "emp_a1", True),
    ("admin_a", Action.DELETE, refs.EMPLOYEE, "emp_a", True),
    ("admin_a", Action.CREATE, refs.EMPLOYEE, "dep_a", True),
    ("admin_a", Action.GRANT, refs.DEPARTMENT, "dep_a1", True),
    ("admin_a", Action.MANAGE_SERVICES, refs.EMPLOYEE, "emp_a", True),
    ("admin_a", Action.SET_AVAILABILITY, refs.EMPLOYEE, "emp_a", True),
    ("admin_a", Action.EDIT, refs.DEPARTMENT, "dep_a", True),
    ("admin_a", Action.EDIT, refs.EMPLOYEE, "emp_b", False),
    ("admin_a", Action.CREATE, refs.EMPLOYEE, "dep_b", False),
    ("admin_a", Action.EDIT, refs.DEPARTMENT, "dep_b", False),
    ("admin_a", Action.CREATE, refs.DEPARTMENT, "company", False),
    ("admin_a", Action.EDIT, refs.PROJECT, "proj_p", False),
    ("admin_a", Action.CREATE, refs.SERVICE_TYPE, "company", False),
    ("admin_a", Action.EDIT, refs.COMPANY, "company", False),
    # Management of project P: P only
    ("management_p", Action.EDIT, refs.PROJECT, "proj_p", True),
    ("management_p", Action.MANAGE_SERVICES, refs.PROJECT, "proj_p", True),
    ("management_p", Action.GRANT, refs.PROJECT, "proj_p", True),
    ("management_p", Action.EDIT, refs.PROJECT, "proj_q", False),
    ("management_p", Action.EDIT, refs.EMPLOYEE, "emp_a", False),
    ("management_p", Action.CREATE, refs.PROJECT, "company", False),
    # Sales management has no organisation rights (its rights arrive with sales)
    ("sales_management", Action.EDIT, refs.EMPLOYEE, "emp_a", False),
    ("sales_management", Action.CREATE, refs.DEPARTMENT, "company", False),
    # an employee without a role may only look
    *[("nobody", a, k, w, a is Action.VIEW) for a in Action for k, w in [
        (refs.EMPLOYEE, "emp_a"), (refs.DEPARTMENT, "dep_a"), (refs.PROJECT, "proj_p"),
        (refs.SERVICE_TYPE, "company"), (refs.COMPANY, "company")]],
]


@pytest.mark.parametrize(("holder", "action", "kind", "where", "expected"), MATRIX)
def test_policy_matrix(holder, action, kind, where, expected):
    assert is_allowed(ACTOR, HOLDERS[holder], action, kind, CHAINS[where]) is expected


def test_department_head_sets_services_of_the_department_employees_only():
    assert is_allowed(77, [], Action.MANAGE_SERVICES, refs.EMPLOYEE, EMP_IN_A)
    assert not is_allowed(77, [], Action.MANAGE_SERVICES, refs.EMPLOYEE, EMP_IN_B)
    assert not is_allowed(77, [], Action.EDIT, refs.EMPLOYEE, EMP_IN_A)


def test_someone_elses_assignment_gives_nothing():
    other = RoleAssignment(role=Role.DIRECTOR, employee_id=2, scope_kind=refs.COMPANY, scope_id=1)
    assert not is_allowed(ACTOR, [other], Action.EDIT, refs.EMPLOYEE, EMP_IN_A)


def test_a_role_limited_to_a_project_applies_to_that_project_only():
    limited = [grant(Role.ADMINISTRATOR, DEP_A, project_id=5)]
    assert is_allowed(ACTOR, limited, Action.EDIT, refs.EMPLOYEE, EMP_IN_A, project_id=5)
    assert not is_allowed(ACTOR, limited, Action.EDIT, refs.EMPLOYEE, EMP_IN_A, project_id=6)


def test_policy_require_raises_forbidden():
    policy = Policy(ACTOR, tuple(HOLDERS["nobody"]))
    with pytest.raises(Forbidden):
        policy.require(Action.EDIT, refs.EMPLOYEE, EMP_IN_A)
    assert Policy(ACTOR, tuple(HOLDERS["director"])).is_director


@given(
    action=st.sampled_from(list(Action)),
    kind=st.sampled_from([refs.EMPLOYEE, refs.DEPARTMENT, refs.PROJECT, refs.SERVICE]),
    where=st.sampled_from(sorted(CHAINS)),
    extra=st.lists(st.sampled_from([r for r in Role if r is not Role.DIRECTOR]), max_size=4),
)
def test_director_may_do_anything_and_roles_only_add_rights(action, kind, where, extra):
    chain = CHAINS[where]
    assert is_allowed(ACTOR, HOLDERS["director"], action, kind, chain)
    # rights are monotonic: adding assignments never takes a right away
    base = HOLDERS["admin_a"]
    more = base + [grant(r, DEP_B) for r in extra]
    if is_allowed(ACTOR, base, action, kind, chain):
        assert is_allowed(ACTOR, more, action, kind, chain)


def test_own_messages_are_visible_to_their_recipient_only():
    mine = [ScopeNode(ObjectRef(refs.MESSAGE, 5)), ScopeNode(ObjectRef(refs.EMPLOYEE, ACTOR)),
            COMPANY]
    theirs = [ScopeNode(ObjectRef(refs.MESSAGE, 6)), *EMP_IN_A]
    assert is_allowed(ACTOR, [], Action.VIEW, refs.MESSAGE, mine)
    assert not is_allowed(ACTOR, [], Action.VIEW, refs.MESSAGE, theirs)
    assert not is_allowed(ACTOR, [], Action.EDIT, refs.MESSAGE, mine)


@pytest.mark.parametrize(("holder", "expected"), [
    ("director", True), ("admin_a", True), ("management_p", True),
    ("sales_management", False), ("nobody", False)])
def test_who_may_administer(holder, expected):
    assert Policy(ACTOR, tuple(HOLDERS[holder])).may_administer is expected


def test_a_role_limited_to_a_project_gives_nothing_where_no_project_is_named():
    limited = [grant(Role.ADMINISTRATOR, DEP_A, project_id=5)]
    assert not is_allowed(ACTOR, limited, Action.EDIT, refs.EMPLOYEE, EMP_IN_A)
    assert not is_allowed(ACTOR, limited, Action.GRANT, refs.DEPARTMENT, [DEP_A, COMPANY])


def test_a_card_manager_for_one_direction_still_works_the_card():
    card = [ScopeNode(ObjectRef("counterparty", 9)), ScopeNode(ObjectRef("catalog", 3)), COMPANY]
    manager = [grant(Role.CLIENT_MANAGER, card[0], project_id=5)]
    assert is_allowed(ACTOR, manager, Action.EDIT, "counterparty", card)
    assert is_allowed(ACTOR, manager, Action.EDIT, "counterparty", card, project_id=5)
    assert not is_allowed(ACTOR, manager, Action.EDIT, "counterparty", card, project_id=6)


def test_client_base_roles_do_not_open_the_admin_section():
    curator = RoleAssignment(role=Role.CATALOG_CURATOR, employee_id=ACTOR, scope_kind="catalog",
                             scope_id=3)
    assert not Policy(ACTOR, (curator,)).may_administer
