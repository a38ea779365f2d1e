from cache import NoCache


def test_no_cache_remembers_nothing():
    cache = NoCache()
    cache.put("a", 1)
    assert cache.get("a") is None and len(cache) == 0
