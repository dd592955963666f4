"""Which failures of a provider say a refund was not made (the poller marks it failed) and which only say the
request was not heard out (it stays pending and is asked again: a refund asked before may have been made)."""
from __future__ import annotations

import pytest

from services.finance.providers import ProviderError


@pytest.mark.parametrize("status, code", [(400, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"), (400, "ACQ.TRADE_STATUS_ERROR"),
                                          (400, "NOT_ENOUGH"), (403, "USER_ACCOUNT_ABNORMAL"),
                                          (404, "RESOURCE_NOT_EXISTS"), (400, "PARAM_ERROR")])
def test_a_business_refusal_says_the_refund_was_not_made(status, code):
    assert ProviderError(status, code).refund_refused


@pytest.mark.parametrize("status, code", [(0, "ReadTimeout"), (0, "ConnectionError"), (503, "20000"),
                                          (500, "SYSTEM_ERROR"), (401, "SIGN_ERROR"), (403, "NO_AUTH"),
                                          (429, "FREQUENCY_LIMITED"), (400, "isv.invalid-signature"),
                                          (400, "20001"), (502, "unreadable")])
def test_a_request_not_heard_out_says_nothing_of_the_refund(status, code):
    assert not ProviderError(status, code).refund_refused
