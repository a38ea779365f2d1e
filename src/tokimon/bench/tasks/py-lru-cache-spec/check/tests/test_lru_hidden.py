import pytest

from cache import LRUCache


def test_get_and_put():
    cache = LRUCache(2)
    cache.put("a", 1)
    assert cache.get("a") == 1
    assert cache.get("b") is None and cache.get("b", 0) == 0
    assert len(cache) == 1 and "a" in cache and "b" not in cache


def test_the_least_recently_used_goes_first():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    cache.put("c", 3)
    assert "b" not in cache and "a" in cache and "c" in cache
    assert cache.evictions == 1


def test_contains_is_not_a_use():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert "a" in cache
    cache.put("c", 3)
    assert "a" not in cache


def test_replacing_a_key_does_not_evict_and_counts_as_a_use():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)
    assert cache.evictions == 0 and len(cache) == 2
    cache.put("c", 3)
    assert cache.get("a") == 10 and "b" not in cache


def test_capacity_one_and_bad_capacity():
    cache = LRUCache(1)
    for n in range(5):
        cache.put(n, n)
    assert len(cache) == 1 and cache.get(4) == 4 and cache.evictions == 4
    with pytest.raises(ValueError):
        LRUCache(0)


def test_falsy_values_are_values():
    cache = LRUCache(2)
    cache.put("zero", 0)
    assert cache.get("zero", "missing") == 0
