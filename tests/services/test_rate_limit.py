from crm_sms.services import rate_limit


def test_requests_are_spaced_a_little_under_the_rate_with_no_burst(app):
    waits = [rate_limit.reserve(("test", 10)) for _ in range(6)]
    assert waits[0] == 0.0
    step = 1 / (10 * rate_limit.MARGIN)
    assert [round(w / step, 1) for w in waits[1:]] == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_buckets_are_separate_per_key(app):
    rate_limit.reserve(("sender:a", 10))
    assert rate_limit.reserve(("sender:b", 10)) == 0.0
    assert rate_limit.reserve(("sender:a", 10)) > 0


def test_the_wait_is_the_longest_of_the_buckets(app):
    rate_limit.reserve(("provider", 100), ("sender:a", 1))
    wait = rate_limit.reserve(("provider", 100), ("sender:a", 1))
    assert 0.9 < wait <= 1 / rate_limit.MARGIN
