from retry import should_retry


def test_server_errors_are_retried():
    assert should_retry(503, 1)


def test_success_is_not_retried():
    assert not should_retry(200, 1)
