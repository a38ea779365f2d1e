"""When the HTTP client tries a request again."""

MAX_ATTEMPTS = 3


def should_retry(status, attempt, max_attempts=MAX_ATTEMPTS):
    """Whether to try again after attempt number ``attempt`` (from 1) ended with ``status``.

    ``status`` is the HTTP status code, or None when the connection failed. Retried:
    connection failures, 429 (too many requests) and every 5xx status; nothing else.
    No retry once ``attempt`` has reached ``max_attempts``.
    """
    if attempt > max_attempts:
        return False
    if status is None:
        return True
    return status == 429 or status >= 400
