"""What the site shows about users."""


def greeting(user):
    return f"Hello, {user.username}!"


def member_list(users):
    """One line per member, admins marked, sorted by the name shown."""
    names = sorted(users, key=lambda u: u.username.lower())
    return [f"{u.username}{' (admin)' if u.admin else ''}" for u in names]
