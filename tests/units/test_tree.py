"""Subtrees and who may see which unit."""

from sipas.models import Role, UnitLevel
from sipas.services import accounts
from sipas.services.units.tree import (
    can_see,
    can_see_any,
    subtree_ids,
    visible_unit_ids,
)
from tests.factories import make_unit


def _tree():
    province = make_unit("P", level=UnitLevel.province)
    commune = make_unit("P-C1", level=UnitLevel.commune, parent=province)
    centre = make_unit("P-C1-K", level=UnitLevel.centre, parent=commune)
    other = make_unit("Q", level=UnitLevel.province)
    return province, commune, centre, other


def test_subtree_holds_the_root_and_everything_below(app):
    province, commune, centre, other = _tree()
    assert subtree_ids(province.id) == {province.id, commune.id, centre.id}
    assert subtree_ids(centre.id) == {centre.id}


def test_an_analyst_sees_only_the_subtree_of_the_scope(app):
    province, commune, centre, other = _tree()
    analyst = accounts.create_user("a", "pw-123456789", Role.analyst, unit=commune)
    assert can_see(analyst, centre)
    assert not can_see(analyst, province)
    assert not can_see(analyst, other)
    assert visible_unit_ids(analyst) == {commune.id, centre.id}
    assert can_see_any(analyst, [other.id, centre.id])
    assert not can_see_any(analyst, [other.id])


def test_an_admin_sees_everything(app):
    province, commune, centre, other = _tree()
    admin = accounts.create_user("boss", "pw-123456789", Role.admin, unit=commune)
    assert visible_unit_ids(admin) is None
    assert can_see(admin, other)


def test_login_as_makes_a_logged_in_account_of_the_role(app, client, login_as):
    user = login_as(client, Role.analyst)
    assert user.role is Role.analyst
    assert client.get("/admin/").status_code == 200
