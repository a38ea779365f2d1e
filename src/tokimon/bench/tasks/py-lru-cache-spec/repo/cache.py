"""Caches for the thumbnail service."""


class NoCache:
    """Remembers nothing (the service's default until an LRU cache exists)."""

    evictions = 0

    def get(self, key, default=None):
        return default

    def put(self, key, value):
        pass

    def __len__(self):
        return 0

    def __contains__(self, key):
        return False
