import pytest

from retry import should_retry


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_client_errors_are_final(status):
    assert not should_retry(status, 1)


@pytest.mark.parametrize("status", [None, 429, 500, 502, 599])
def test_transient_failures_are_retried(status):
    assert should_retry(status, 1)
    assert should_retry(status, 2)


def test_no_retry_after_the_last_attempt():
    assert not should_retry(503, 3)
    assert not should_retry(None, 3)
    assert should_retry(503, 4, max_attempts=5)
    assert not should_retry(503, 5, max_attempts=5)


def test_redirects_and_successes_are_not_retried():
    assert not should_retry(301, 1)
    assert not should_retry(204, 1)
