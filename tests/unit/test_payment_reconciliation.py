"""Reading both providers' statement files (WeChat Pay's backticked CSV with its summary section, Alipay's zip
of GBK CSV files) and matching their lines with what finance recorded."""
from __future__ import annotations

import io
import zipfile

import pytest

from services.finance.alipay import parse_trade_bill as parse_alipay
from services.finance.domain.statements import Recorded, match
from services.finance.providers import ProviderError, StatementLine
from services.finance.wechatpay import parse_trade_bill as parse_wechat

WECHAT_BILL = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
    "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,"
    "订单金额,申请退款金额,费率备注\r\n"
    "`2026-12-06 10:01:02,`wx01,`1900000109,`0,`,`4200000001,`INTENT-A,`oUser,`NATIVE,`SUCCESS,`OTHERS,`CNY,"
    "`123.45,`0.00,`0,`0,`0.00,`0.00,`,`,`结算单,`,`0.74,`0.60%,`123.45,`0.00,`\r\n"
    "`2026-12-06 15:00:00,`wx01,`1900000109,`0,`,`4200000001,`INTENT-A,`oUser,`NATIVE,`REFUND,`OTHERS,`CNY,"
    "`0.00,`0.00,`50300001,`REFUND-1,`20.00,`0.00,`ORIGINAL,`SUCCESS,`结算单,`,`-0.12,`0.60%,`0.00,`20.00,`\r\n"
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n"
    "`2,`123.45,`20.00,`0.00,`0.62,`123.45,`20.00\r\n")

ALIPAY_DETAIL = (
    "#支付宝业务明细查询\r\n#账号：[20880000000000010156]\r\n"
    "#起始日期：[2026年12月06日 00:00:00]   终止日期：[2026年12月07日 00:00:00]\r\n"
    "#-----------------------------------------业务明细列表----------------------------------------\r\n"
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,"
    "商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,"
    "卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注\r\n"
    "2026120622001\t,INTENT-B\t,交易\t,结算单\t,2026-12-06 09:00:00\t,2026-12-06 09:00:05\t,\t,\t,\t,\t,158****1234\t,"
    "200.00\t,200.00\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,\t,-1.20\t,0.00\t,\t\r\n"
    "2026120622001\t,INTENT-B\t,退款\t,结算单\t,2026-12-06 11:00:00\t,2026-12-06 11:00:00\t,\t,\t,\t,\t,158****1234\t,"
    "-50.00\t,-50.00\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,REFUND-2\t,0.30\t,0.00\t,\t\r\n"
    "#-----------------------------------------业务明细列表结束------------------------------------\r\n"
    "#交易合计：1笔，退款合计：1笔\r\n#导出时间：[2026年12月07日 09:00:00]\r\n")
ALIPAY_SUMMARY = (
    "#支付宝业务汇总查询\r\n"
    "门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,"
    "服务费（元）,分润（元）,实收净额（元）\r\n"
    "合计,,1,1,150.00,150.00,0.00,0.00,0.00,-0.90,0.00,149.10\r\n")


def alipay_zip(detail: str = ALIPAY_DETAIL, summary: str = ALIPAY_SUMMARY) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("20880000000000010156_20261206_业务明细.csv", detail.encode("gbk"))
        archive.writestr("20880000000000010156_20261206_业务明细(汇总).csv", summary.encode("gbk"))
    return out.getvalue()


def test_a_wechat_statement_is_read_by_its_column_names_backticks_cut():
    lines, summary = parse_wechat(WECHAT_BILL)
    assert lines == (StatementLine("payment", "INTENT-A", "4200000001", 12345, 74),
                     StatementLine("refund", "INTENT-A", "4200000001", 2000, -12, "REFUND-1", "50300001"))
    assert summary["总交易单数"] == "2" and summary["手续费总金额"] == "0.62"


def test_a_wechat_statement_whose_rows_disagree_with_its_summary_is_refused():
    with pytest.raises(ProviderError) as refused:
        parse_wechat(WECHAT_BILL.replace("`2,`123.45", "`3,`123.45"))
    assert refused.value.code == "statement_inconsistent"
    with pytest.raises(ProviderError):
        parse_wechat("<html>网关错误</html>")


def test_an_alipay_statement_is_a_zip_of_gbk_files_with_comments_and_tab_padding():
    lines, summary = parse_alipay(alipay_zip())
    assert lines == (StatementLine("payment", "INTENT-B", "2026120622001", 20000, 120),
                     StatementLine("refund", "INTENT-B", "2026120622001", 5000, -30, "REFUND-2", "2026120622001"))
    assert summary["交易订单总笔数"] == "1"


def test_an_alipay_statement_that_is_not_a_zip_or_disagrees_with_its_summary_is_refused():
    for data in (b"not a zip", alipay_zip(summary=ALIPAY_SUMMARY.replace("合计,,1,1", "合计,,2,1"))):
        with pytest.raises(ProviderError):
            parse_alipay(data)


def paid(intent_id: str, transaction: str | None, amount: int, store: str = "S1") -> Recorded:
    return Recorded("payment", intent_id, transaction, amount, store, transaction is not None, intent_id)


def test_matching_finds_what_is_missing_here_extra_here_and_of_another_amount():
    lines = (StatementLine("payment", "I1", "T1", 1000, 6),   # matched
             StatementLine("payment", "I2", "T2", 500, 3),    # the intent was never told it was paid
             StatementLine("payment", "I3", "T3", 700, 4),    # recorded for 900
             StatementLine("payment", "NOT-OURS", "T9", 300, 2),
             StatementLine("refund", "I1", "T1", 200, -1, "R1", "RF1"))  # matched
    known = {("payment", "I1"): paid("I1", "T1", 1000), ("payment", "I2"): paid("I2", None, 500, "S2"),
             ("payment", "I3"): paid("I3", "T3", 900),
             ("refund", "R1"): Recorded("refund", "R1", "RF1", 200, "S1", True, "I1")}
    recorded = [known["payment", "I1"], known["payment", "I3"], paid("I4", "T4", 800), known["refund", "R1"]]
    found = match(lines, known, recorded)
    assert found.matched == 2
    summary = {(d.kind, d.reference): (d.action, d.store_id, d.provider_amount_fen, d.recorded_amount_fen)
               for d in found.differences}
    assert summary == {("missing_here", "T2"): ("record_payment", "S2", 500, None),
                       ("amount_mismatch", "T3"): ("check_amount", "S1", 700, 900),
                       ("missing_here", "T9"): ("unknown_order", None, 300, None),
                       ("extra_here", "T4"): ("check_at_provider", "S1", None, 800)}
    assert found.store_totals["S1"] == {"payment_count": 2, "refund_count": 1, "collected_fen": 1700,
                                        "refunded_fen": 200, "fee_fen": 9}
    assert found.store_totals[""]["collected_fen"] == 300 and found.store_totals["S2"]["payment_count"] == 1


def test_a_refund_the_provider_made_that_is_not_confirmed_here_is_missing_here():
    lines = (StatementLine("refund", "I1", "T1", 200, -1, "R1", "RF1"),
             StatementLine("refund", "I1", "T1", 100, 0, "R-UNKNOWN", "RF2"))
    known = {("refund", "R1"): Recorded("refund", "R1", None, 200, "S1", False, "I1")}
    found = match(lines, known, [])
    assert {(d.reference, d.action) for d in found.differences} == {("R1", "record_refund"),
                                                                    ("R-UNKNOWN", "unknown_refund")}
