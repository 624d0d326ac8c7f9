"""Account registration with e-mail validation and case-insensitive uniqueness."""
import re

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Accounts:
    def __init__(self):
        self._by_email = {}

    def register(self, email, name):
        if not _EMAIL.match(email):
            raise ValueError(f"invalid e-mail address: {email!r}")
        key = email.lower()
        if key in self._by_email:
            raise ValueError(f"already registered: {email}")
        user = {"id": len(self._by_email) + 1, "email": email, "name": name}
        self._by_email[key] = user
        return user

    def find(self, email):
        return self._by_email.get(email.lower())
