import pytest

from units import human_size


@pytest.mark.parametrize(
    "size, shown",
    [(1, "1 B"), (1024, "1.0 KiB"), (1024 * 1024 - 1, "1024 KiB"), (1024**2, "1.0 MiB"),
     (int(9.96 * 1024), "10 KiB"), (2 * 1024**4, "2.0 TiB"), (1024**5, "1024 TiB")],
)
def test_sizes(size, shown):
    assert human_size(size) == shown
