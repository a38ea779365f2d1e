from units import human_size


def test_kibibytes():
    assert human_size(1536) == "1.5 KiB"
