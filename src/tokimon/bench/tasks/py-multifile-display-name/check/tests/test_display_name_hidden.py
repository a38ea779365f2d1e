import json

from app.models import User
from app.storage import dump_user, load_user
from app.views import greeting, member_list


def test_display_name_defaults_to_none():
    assert User("ann", "a@x").display_name is None


def test_round_trip_with_a_display_name():
    user = User("ann", "a@x", display_name="Ann Lee")
    assert json.loads(dump_user(user))["display_name"] == "Ann Lee"
    assert load_user(dump_user(user)) == user


def test_old_files_still_load():
    old = '{"username": "bob", "email": "b@x", "admin": false}'
    assert load_user(old) == User("bob", "b@x")


def test_views_prefer_the_display_name():
    ann = User("ann", "a@x", display_name="Ann Lee")
    assert greeting(ann) == "Hello, Ann Lee!"
    assert greeting(User("bob", "b@x")) == "Hello, bob!"
    users = [User("zed", "z@x", admin=True), ann, User("bob", "b@x", display_name="Bobby")]
    assert member_list(users) == ["Ann Lee", "Bobby", "zed (admin)"]
