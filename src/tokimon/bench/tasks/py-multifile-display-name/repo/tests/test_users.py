from app.models import User
from app.storage import dump_user, load_user
from app.views import greeting, member_list


def test_round_trip():
    user = User("ann", "ann@example.org", admin=True)
    assert load_user(dump_user(user)) == user


def test_greeting():
    assert greeting(User("bob", "bob@example.org")) == "Hello, bob!"


def test_member_list():
    users = [User("zed", "z@x"), User("Ann", "a@x", admin=True)]
    assert member_list(users) == ["Ann (admin)", "zed"]
