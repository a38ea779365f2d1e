"""Users as JSON documents."""

import json

from .models import User


def dump_user(user):
    return json.dumps({"username": user.username, "email": user.email, "admin": user.admin})


def load_user(text):
    data = json.loads(text)
    return User(username=data["username"], email=data["email"], admin=data.get("admin", False))
