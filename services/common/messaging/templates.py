"""The message templates (Chinese, with `${name}` parameters as Alibaba Cloud SMS writes them). Each is
registered at the provider under `sms_code` (Alibaba Cloud's 模板CODE) and `wechat_id` (the official
account's template id); the text here is what the customer reads and what the console shows."""
from __future__ import annotations

from dataclasses import dataclass
from string import Template


@dataclass(frozen=True)
class MessageTemplate:
    key: str
    text: str
    marketing: bool = False
    """Marketing needs the customer's consent and waits out the store's quiet hours; transactional never."""

    @property
    def sms_code(self) -> str:
        return f"SMS_{self.key.upper()}"

    @property
    def wechat_id(self) -> str:
        return f"TM_{self.key.upper()}"

    @property
    def params(self) -> list[str]:
        return [match.group("braced") or match.group("named") for match in Template.pattern.finditer(self.text)
                if match.group("braced") or match.group("named")]

    def render(self, params: dict[str, str]) -> str:
        return Template(self.text).substitute(params)


TEMPLATES = {t.key: t for t in (
    MessageTemplate("sign_in", "您的登录验证码 ${code}，${minutes} 分钟内有效。请勿告诉他人。"),
    MessageTemplate("vehicle_checked_in", "您的爱车 ${plate} 已到店登记，我们会及时告知维修进度。"),
    MessageTemplate("quote_presented", "您的报价单 ${number} 已备好，合计 ${total}，请联系服务顾问确认。"),
    MessageTemplate("quote_ready", "您的报价单 ${number} 已备好，请点击查看并确认：${url}（3 天内有效）"),
    MessageTemplate("car_ready", "您的爱车 ${plate} 已完工，欢迎到店取车。"),
    MessageTemplate("payment_receipt", "已收到您的付款 ${amount}（${method}），尚欠 ${due}。感谢惠顾！"),
    MessageTemplate("account_overdue", "${company} ${contact}您好：贵单位挂账欠款 ${amount} 已逾期 ${days} 天，"
                                       "请尽快结清。如已付款请忽略。"),
    MessageTemplate("staff_report", "${scope}${period}经营简报：营业额 ${revenue}（${change}），进厂 ${cars} 台，"
                                    "客单价 ${ticket}，${target}。"),
    MessageTemplate("campaign", "${body} 回T退订", marketing=True),
    # a care campaign's text as its store wrote it (crm's campaigns): one parameter of a marketing template
    MessageTemplate("service_due", "您的爱车 ${plate} 的${service}将于 ${due_on} 到期，欢迎预约。回T退订",
                    marketing=True),
)}
