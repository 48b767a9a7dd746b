from crm_sms.services import rate_limit


def test_a_burst_of_one_second_passes_then_requests_are_spaced_at_the_rate(app):
    waits = [rate_limit.reserve("test", 10) for _ in range(15)]
    assert waits[:10] == [0.0] * 10
    assert [round(w, 1) for w in waits[10:]] == [0.1, 0.2, 0.3, 0.4, 0.5]


def test_buckets_are_separate_per_key(app):
    for _ in range(10):
        rate_limit.reserve("sender:a", 10)
    assert rate_limit.reserve("sender:b", 10) == 0.0
    assert rate_limit.reserve("sender:a", 10) > 0
